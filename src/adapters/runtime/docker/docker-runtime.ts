import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CorticalError } from '../../../core/errors.js';
import type { Runtime, Sleeve, SpawnSpec } from '../../../core/ports/runtime.js';
import { DEFAULT_SANDBOX, type Enforcement } from '../../../core/sandbox.js';
import { assertHandOverSafe, chownTree, type HostIdentity } from '../bubblewrap/host-access.js';
import { attachStdio } from './docker-attach.js';
import { DEFAULT_ENV_COMMAND, dockerContainerSpec, type HiddenPath } from './docker-container-spec.js';
import { DockerSleeve } from './docker-sleeve.js';

export const DEFAULT_DOCKER_IMAGE = 'node:20-bookworm-slim';
/** The node's own installation (agent programs live in it): bound read-only into sleeves. */
const INSTALL_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const NOBODY = 65534;
const PING_TIMEOUT_MS = 3000;

/** `missing`: pull when the engine lacks the image; `always`: pull once per runtime; `never`. */
export type DockerPullPolicy = 'missing' | 'always' | 'never';

export interface DockerRuntimeOptions {
  /** A dockerode client; default: one for `socketPath`, else $DOCKER_HOST or the default socket. */
  readonly docker?: Docker;
  readonly socketPath?: string;
  /** The image every sleeve runs in; it must have `/usr/bin/env` (or `envCommand`). */
  readonly image: string;
  readonly pull?: DockerPullPolicy;
  /**
   * uid/gid inside the container. Default: the node's own when it is not root (the workspace is
   * its already); 65534:65534 when it is, and the workspace is handed over to it first.
   */
  readonly uid?: number;
  readonly gid?: number;
  /** Host paths no sleeve may see where they lie inside a bound path (the node's work dir …). */
  readonly hiddenPaths?: readonly string[];
  /** Host paths bound read-only at the same place (default: the node's installation). */
  readonly exposedPaths?: readonly string[];
  readonly envCommand?: string;
  readonly maxLineChars?: number;
  readonly lineHighWater?: number;
}

function describe(docker: Docker): string {
  const m = docker.modem as unknown as { socketPath?: unknown; host?: unknown; port?: unknown };
  if (typeof m.socketPath === 'string') return m.socketPath;
  if (typeof m.host === 'string') return typeof m.port === 'string' || typeof m.port === 'number' ? `${m.host}:${m.port}` : m.host;
  return process.env.DOCKER_HOST ?? '/var/run/docker.sock';
}

function statusOf(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'statusCode' in e ? Number(e.statusCode) : undefined;
}

/** The engine's message without dockerode's "(HTTP code …) …" prefix. */
function engineMessage(e: unknown): string {
  const json = typeof e === 'object' && e !== null && 'json' in e ? e.json : undefined;
  if (typeof json === 'object' && json !== null && 'message' in json) return String(json.message);
  return (e as Error).message ?? String(e);
}

/**
 * The `docker` runtime: each sleeve is a container of one image with no capabilities,
 * no-new-privileges, a read-only root, a private /tmp and HOME, the workspace (and writable
 * paths) bound read-write at their host paths, read-only paths bound over them, no network (or
 * the default bridge for `open`), and limits from the engine's cgroups and rlimits. `allowlist`
 * is refused (the egress proxy is bubblewrap's); the disk quota is not enforced.
 */
export class DockerRuntime implements Runtime {
  readonly name = 'docker';
  readonly sandboxed = true;
  readonly enforcement: Enforcement = {
    memoryMb: 'docker-cgroup',
    cpuPercent: 'docker-cgroup',
    maxProcesses: 'docker-cgroup',
    maxFileSizeMb: 'rlimit',
    maxOpenFiles: 'rlimit',
    diskQuotaMb: 'none',
    network: 'namespace',
    filesystem: 'namespace',
  };
  private readonly docker: Docker;
  private imageReady: Promise<void> | null = null;

  constructor(private readonly options: DockerRuntimeOptions) {
    if (options.image.trim() === '') throw new CorticalError('VALIDATION_FAILED', 'docker runtime: an image is required (e.g. node:20-bookworm-slim)');
    this.docker = options.docker ?? new Docker(options.socketPath === undefined ? undefined : { socketPath: options.socketPath });
  }

  /** Whether a Docker engine answers a ping (false on any error: no socket, refused, timeout). */
  static async available(docker?: Docker | string, timeoutMs = PING_TIMEOUT_MS): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const client = docker === undefined ? new Docker() : typeof docker === 'string' ? new Docker({ socketPath: docker }) : docker;
      const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
      return await Promise.race([client.ping().then(() => true), timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private identity(): HostIdentity {
    const self = process.getuid?.() ?? NOBODY;
    const uid = this.options.uid ?? (self === 0 ? NOBODY : self);
    const gid = this.options.gid ?? (this.options.uid !== undefined ? uid : self === 0 ? NOBODY : (process.getgid?.() ?? NOBODY));
    return { uid, gid };
  }

  private unreachable(e: unknown): CorticalError {
    return new CorticalError('UNAVAILABLE', `docker runtime: no Docker engine answers at ${describe(this.docker)}: ${engineMessage(e)}`, {
      engine: describe(this.docker),
    });
  }

  private ensureImage(): Promise<void> {
    this.imageReady ??= this.prepareImage().catch((e: unknown) => {
      this.imageReady = null;
      throw e;
    });
    return this.imageReady;
  }

  private async prepareImage(): Promise<void> {
    const image = this.options.image;
    const policy = this.options.pull ?? 'missing';
    if (policy !== 'always') {
      try {
        await this.docker.getImage(image).inspect();
        return;
      } catch (e) {
        if (statusOf(e) !== 404) throw this.unreachable(e);
        if (policy === 'never') throw new CorticalError('UNAVAILABLE', `docker runtime: image ${image} is not present and the pull policy is never`);
      }
    }
    try {
      const stream = (await this.docker.pull(image)) as Readable;
      await new Promise<void>((ok, fail) =>
        this.docker.modem.followProgress(stream, (err: Error | null) => (err === null ? ok() : fail(err))),
      );
    } catch (e) {
      if (statusOf(e) === undefined && !(e instanceof CorticalError)) throw this.unreachable(e);
      throw new CorticalError('UNAVAILABLE', `docker runtime: cannot pull image ${image}: ${engineMessage(e)}`, { image });
    }
  }

  async spawn(spec: SpawnSpec): Promise<Sleeve> {
    const unavailable = (why: string): CorticalError =>
      new CorticalError('UNAVAILABLE', `cannot start ${spec.command}: ${why}`, { command: spec.command });
    if (!isDirectory(spec.cwd)) throw unavailable(`working directory ${spec.cwd} does not exist`);
    const missing = (spec.writablePaths ?? []).find((p) => !existsSync(p));
    if (missing !== undefined) throw unavailable(`writable path ${missing} does not exist`);
    const sleeveId = `cortical-sleeve-${randomUUID()}`;
    const who = this.identity();
    const hiddenPaths: HiddenPath[] = (this.options.hiddenPaths ?? [])
      .filter((p) => existsSync(p))
      .map((p) => ({ path: resolve(p), directory: isDirectory(p) }));
    const create = dockerContainerSpec(
      { ...spec, cwd: resolve(spec.cwd), readOnlyPaths: (spec.readOnlyPaths ?? []).filter((p) => existsSync(p)) },
      {
        image: this.options.image,
        sleeveId,
        uid: who.uid,
        gid: who.gid,
        hiddenPaths,
        exposedPaths: (this.options.exposedPaths ?? [INSTALL_ROOT]).filter((p) => existsSync(p)),
        envCommand: this.options.envCommand,
      },
    );
    await this.ensureImage();
    if (who.uid !== process.getuid?.() && process.getuid?.() === 0) {
      try {
        for (const p of [spec.cwd, ...(spec.writablePaths ?? [])]) assertHandOverSafe(p, this.options.hiddenPaths ?? []);
        for (const p of [spec.cwd, ...(spec.writablePaths ?? [])]) await chownTree(p, who);
      } catch (e) {
        throw unavailable(`cannot prepare the workspace for the sandbox user: ${(e as Error).message}`);
      }
    }

    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(create);
    } catch (e) {
      if (statusOf(e) === undefined) throw this.unreachable(e);
      throw unavailable(`docker refused the container: ${engineMessage(e)}`);
    }
    const discard = (): Promise<unknown> => container.remove({ force: true, v: true }).catch(() => undefined);
    try {
      const envCommand = this.options.envCommand ?? DEFAULT_ENV_COMMAND;
      if ((await findInContainer(container, envCommand, '/', undefined)) === null) {
        throw unavailable(`image ${this.options.image} has no ${envCommand}`);
      }
      if ((await findInContainer(container, spec.command, resolve(spec.cwd), spec.env.PATH)) === null) {
        throw unavailable(`not found in image ${this.options.image} (PATH ${spec.env.PATH ?? DEFAULT_PATH})`);
      }
      const io = await attachStdio(this.docker, container.id, spec.stdin !== undefined);
      try {
        await container.start();
      } catch (e) {
        io.raw.destroy();
        throw statusOf(e) === undefined ? this.unreachable(e) : unavailable(engineMessage(e));
      }
      const info = await container.inspect().catch(() => null);
      const pid = info?.State.Pid ?? 0;
      if (spec.stdin !== undefined) {
        io.raw.on('error', () => undefined);
        io.raw.write(spec.stdin);
        io.raw.end(); // half-close: the engine closes the container's stdin (StdinOnce)
      }
      return new DockerSleeve(container, pid, {
        limits: (spec.sandbox ?? DEFAULT_SANDBOX).limits,
        stdout: io.stdout,
        stderr: io.stderr,
        maxLineChars: this.options.maxLineChars,
        lineHighWater: this.options.lineHighWater,
      });
    } catch (e) {
      await discard();
      if (e instanceof CorticalError) throw e;
      throw statusOf(e) === undefined ? this.unreachable(e) : unavailable(engineMessage(e));
    }
  }
}

/**
 * Where `command` lies in the (created, not started) container, as its `env` would find it: a
 * path (relative to `cwd`) or a name looked up in `path`. The engine answers from the image and
 * the container's binds. Null when there is no such file.
 */
async function findInContainer(container: Docker.Container, command: string, cwd: string, path: string | undefined): Promise<string | null> {
  const candidates = command.includes('/')
    ? [isAbsolute(command) ? command : resolve(cwd, command)]
    : (path ?? DEFAULT_PATH)
        .split(':')
        .filter((d) => d !== '')
        .map((d) => join(isAbsolute(d) ? d : resolve(cwd, d), command));
  for (const candidate of candidates) {
    if (await isFileInContainer(container, candidate)) return candidate;
  }
  return null;
}

async function isFileInContainer(container: Docker.Container, path: string): Promise<boolean> {
  let res: { headers?: Record<string, unknown>; resume?: () => void };
  try {
    res = (await container.infoArchive({ path })) as typeof res;
  } catch (e) {
    if (statusOf(e) === 404) return false;
    throw e;
  }
  res.resume?.();
  const header = res.headers?.['x-docker-container-path-stat'];
  if (typeof header !== 'string') return true;
  try {
    const stat = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { mode?: number };
    // Go's os.ModeDir is bit 31.
    return typeof stat.mode !== 'number' || Math.floor(stat.mode / 2 ** 31) % 2 === 0;
  } catch {
    return true;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
