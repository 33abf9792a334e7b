/**
 * The node's egress gateway for `allowlist` sleeves: one HTTP proxy endpoint per sleeve, each on
 * its own Unix socket (`<socketDir>/<sleeveId>.sock`) that the runtime binds into the sandbox.
 * Supports CONNECT tunnels (https and any TCP) and plain `http://` absolute-form requests.
 */
import { lookup } from 'node:dns/promises';
import { chmod, lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TerminalError } from '../../../core/errors.js';
import type { EgressDecision, EgressGateway, EgressGrant } from '../../../core/ports/egress.js';
import type { Logger } from '../../../core/ports/logger.js';
import { silentLogger } from '../../../core/ports/logger.js';
import { Allowlist } from './allowlist.js';
import type { HostResolver } from './egress-policy.js';
import { ProxyEndpoint } from './proxy-endpoint.js';

export interface HttpEgressGatewayOptions {
  /** Directory of the per-sleeve sockets; created with mode 0711. */
  readonly socketDir: string;
  readonly clock?: () => number;
  /** Name resolution; defaults to the system resolver (all addresses). */
  readonly resolve?: HostResolver;
  /** Per-address connect timeout; default 10 s. */
  readonly connectTimeoutMs?: number;
  readonly logger?: Logger;
}

const SLEEVE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 107;

export const systemResolver: HostResolver = async (host) => {
  const answers = await lookup(host, { all: true, verbatim: true });
  return answers.map((a) => a.address);
};

export class HttpEgressGateway implements EgressGateway {
  private readonly endpoints = new Map<string, ProxyEndpoint>();
  private readonly clock: () => number;
  private readonly resolve: HostResolver;
  private readonly connectTimeoutMs: number;
  private readonly logger: Logger;
  private dirReady: Promise<void> | null = null;

  constructor(private readonly options: HttpEgressGatewayOptions) {
    this.clock = options.clock ?? (() => Date.now());
    this.resolve = options.resolve ?? systemResolver;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.logger = options.logger ?? silentLogger;
  }

  async open(input: { sleeveId: string; allow: readonly string[]; onDecision?: (d: EgressDecision) => void }): Promise<EgressGrant> {
    const { sleeveId } = input;
    if (!SLEEVE_ID.test(sleeveId)) {
      throw new TerminalError('VALIDATION_FAILED', `invalid sleeve id for an egress socket: ${JSON.stringify(sleeveId)}`);
    }
    const allowlist = Allowlist.parse(input.allow);
    const socketPath = join(this.options.socketDir, `${sleeveId}.sock`);
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
      throw new TerminalError('VALIDATION_FAILED', `egress socket path too long (${socketPath}); use a shorter socketDir`);
    }
    if (this.endpoints.has(sleeveId)) {
      throw new TerminalError('CONFLICT', `egress endpoint already open for sleeve ${sleeveId}`);
    }
    const endpoint = new ProxyEndpoint({
      sleeveId,
      socketPath,
      allowlist,
      resolve: this.resolve,
      clock: this.clock,
      connectTimeoutMs: this.connectTimeoutMs,
      logger: this.logger.child({ sleeveId }),
      ...(input.onDecision ? { onDecision: input.onDecision } : {}),
    });
    this.endpoints.set(sleeveId, endpoint);
    try {
      await this.ensureDir();
      await endpoint.listen();
    } catch (e) {
      this.endpoints.delete(sleeveId);
      await endpoint.release();
      throw e;
    }
    this.logger.info({ sleeveId, socketPath, entries: allowlist.entries.length }, 'egress endpoint open');
    return {
      socketPath,
      release: async () => {
        if (this.endpoints.get(sleeveId) === endpoint) this.endpoints.delete(sleeveId);
        await endpoint.release();
      },
    };
  }

  async close(): Promise<void> {
    const all = [...this.endpoints.values()];
    this.endpoints.clear();
    await Promise.all(all.map((e) => e.release()));
  }

  /**
   * Creates socketDir with mode 0711 (others may reach a socket they know the name of, not list
   * them). An existing directory is used as it is, but only if it is ours and not writable by
   * anyone else: a shared directory would let another user swap a socket.
   */
  private ensureDir(): Promise<void> {
    const dir = this.options.socketDir;
    this.dirReady ??= (async () => {
      const created = await mkdir(dir, { recursive: true, mode: 0o711 });
      if (created !== undefined) {
        await chmod(dir, 0o711);
        return;
      }
      const st = await lstat(dir);
      const uid = process.getuid?.();
      if (!st.isDirectory()) throw new Error(`egress socketDir ${dir} is not a directory`);
      if (uid !== undefined && st.uid !== uid) throw new Error(`egress socketDir ${dir} is owned by another user`);
      if ((st.mode & 0o022) !== 0) throw new Error(`egress socketDir ${dir} is writable by group or others`);
    })().catch((e: unknown) => {
      this.dirReady = null;
      throw e;
    });
    return this.dirReady;
  }
}
