import type { StoreCopier } from '../../core/ports/store-copy.js';
import type { GcReport } from '../../core/ports/workspace-gc.js';

/**
 * The server commands (`up`, `hq`, `node`) only parse and validate their options; the composition
 * root supplies the runners that actually start HQ and nodes.
 */

export interface UpReadyInfo {
  /** The URL clients use, e.g. `http://127.0.0.1:7470` (with the real port when `--port 0`). */
  readonly url: string;
  /** Where the admin API token was written. */
  readonly tokenFile: string;
  /** The admin token itself when this start created it (first start): printed once. */
  readonly createdAdminToken?: string | null;
  /** The context file written with `writeContext`, if any. */
  readonly contextFile: string | null;
  /** Name of the local node. */
  readonly nodeName: string;
}

/** Which runtime makes the node's sleeves; `auto` = bubblewrap when available, else process. */
export type RuntimeChoice = 'auto' | 'bubblewrap' | 'docker' | 'process';

/** Workspace retention of a node (its janitor); null = that limit is off. */
export interface NodeGcSettings {
  readonly gcKeepDays: number | null;
  readonly gcMaxGb: number | null;
}

export interface GcCommandOptions {
  /** The node's work directory (absolute). */
  readonly workDir: string;
  readonly keepDays: number | null;
  readonly maxGb: number | null;
  readonly dryRun: boolean;
  readonly deleteBranches: boolean;
}

export interface UpOptions extends NodeGcSettings {
  readonly runtime: RuntimeChoice;
  /** Image of `docker` sleeves (`--docker-image`); absent = the runtime's default. */
  readonly dockerImage?: string;
  /** Warm bubblewrap sleeves per profile (0 = all cold). */
  readonly warmPool?: number;
  readonly host: string;
  readonly port: number;
  /** Absolute data directory (`--data-dir` > `$CORTICAL_HOME` > `~/.cortical`). */
  readonly dataDir: string;
  /** Local node's name; null = the runner's default (e.g. the host name). */
  readonly nodeName: string | null;
  /** Local node's capabilities; null = the runner's default. */
  readonly capabilities: readonly string[] | null;
  /** Local node's slots; null = the runner's default. */
  readonly slots: number | null;
  /** Call once HQ listens: prints the URL, token file and a first command to try. */
  readonly onReady: (info: UpReadyInfo) => void;
}

export interface HqReadyInfo {
  readonly url: string;
  /** Where the admin API token was written (null if none was created this time). */
  readonly tokenFile: string | null;
  /** The admin token itself when this start created it (first start): printed once. */
  readonly createdAdminToken?: string | null;
  /** The store and bus of a cluster replica, secrets masked (absent for the single preset). */
  readonly backend?: string;
}

export interface HqOptions {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** Backend flags, raw (validated by the runner with the environment and the config file). */
  readonly preset?: string | undefined;
  /** `--store`: `sqlite:PATH` or `postgres://…`. */
  readonly store?: string | undefined;
  /** `--bus`: `memory` or `nats://host:port[,host:port]`. */
  readonly bus?: string | undefined;
  /** `--config FILE` (JSON); default `<data dir>/config.json` when it exists. */
  readonly configFile?: string | undefined;
  readonly onReady: (info: HqReadyInfo) => void;
}

export interface NodeReadyInfo {
  readonly nodeId: string;
  readonly name: string;
  readonly hq: string;
}

export interface NodeOptions extends NodeGcSettings {
  readonly runtime: RuntimeChoice;
  /** Image of `docker` sleeves (`--docker-image`); absent = the runtime's default. */
  readonly dockerImage?: string;
  /** Warm bubblewrap sleeves per profile (0 = all cold). */
  readonly warmPool?: number;
  /** HQ base URL, normalised (no trailing slash); the first of `hqUrls`. */
  readonly hq: string;
  /** Every HQ replica's URL (`--hq URL1,URL2`); the node fails over between them. */
  readonly hqUrls?: readonly string[];
  /** null: re-join with the credential stored in the work dir (an error if there is none). */
  readonly joinToken: string | null;
  readonly nodeName: string | null;
  readonly capabilities: readonly string[] | null;
  readonly slots: number | null;
  /** Absolute directory for task workspaces; null = the runner's default (under dataDir). */
  readonly workDir: string | null;
  /** Absolute directory for the node's own state (its credential). */
  readonly dataDir: string;
  readonly onReady: (info: NodeReadyInfo) => void;
}

/** Each runner runs until the process is told to stop; it resolves to an exit code (void = 0). */
export interface ServerRunners {
  up(opts: UpOptions): Promise<number | void>;
  hq(opts: HqOptions): Promise<number | void>;
  node(opts: NodeOptions): Promise<number | void>;
  /** `cortical nodes gc`: collect finished workspaces of a node's work dir on this machine. */
  gc(opts: GcCommandOptions): Promise<GcReport>;
  /** `cortical migrate`: copies an embedded fleet's store into PostgreSQL; absent = not supported. */
  readonly storeCopier?: StoreCopier | undefined;
}

export const DEFAULT_PORT = 7470;
export const DEFAULT_HOST = '127.0.0.1';
/** Image of `docker` sleeves unless `--docker-image` names another. */
export const DEFAULT_DOCKER_IMAGE = 'node:20-bookworm-slim';
