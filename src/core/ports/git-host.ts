/**
 * The git host port: HQ serves a task's repository over git's smart HTTP protocol so that nodes
 * and sleeves clone, fetch and push through HQ (which decides what may be written). The adapter
 * runs git's own `upload-pack` / `receive-pack` in stateless-RPC mode on a repository HQ can read.
 */
export const GIT_SERVICES = ['git-upload-pack', 'git-receive-pack'] as const;
export type GitService = (typeof GIT_SERVICES)[number];

export interface GitHost {
  /** true when `path` is a git repository HQ can serve. */
  isRepository(path: string): Promise<boolean>;
  /** The body of `GET info/refs?service=…` (the `# service=` header included). */
  advertise(path: string, service: GitService): Promise<Uint8Array>;
  /**
   * Runs one stateless RPC of `service` on the repository with `body` (already decompressed) as
   * its request; yields the response. Throws CorticalError('UNAVAILABLE') when git cannot start.
   */
  serve(path: string, service: GitService, body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array>;
}
