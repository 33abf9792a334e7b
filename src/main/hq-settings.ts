/**
 * HQ's backend settings: which store and which bus, from presets.
 *
 * - `single` (the default): SQLite in the data directory and the in-process memory bus; one HQ.
 * - `cluster`: PostgreSQL (`--store postgres://…`) and NATS (`--bus nats://host:port[,host:port]`),
 *   for several HQ replicas on one database.
 *
 * Each setting is taken from the first source that has it: command-line flags, then the
 * environment (`CORTICAL_PRESET`, `CORTICAL_STORE`, `CORTICAL_BUS`, `CORTICAL_BUS_PREFIX`,
 * `CORTICAL_BUS_STREAM`), then the config file (JSON, `--config FILE` or `<data dir>/config.json`),
 * then the preset's defaults. Without a preset anywhere, a PostgreSQL store or a NATS bus means
 * `cluster`. Secrets in URLs never appear in errors or in `describeHqSettings`.
 *
 * Pure: the config file's text is read by the caller (`hq-config-file.ts`).
 */
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { redactSecrets } from './redact.js';

export const PRESETS = ['single', 'cluster'] as const;
export type Preset = (typeof PRESETS)[number];

export const CONFIG_FILE_NAME = 'config.json';
export const SQLITE_FILE_NAME = 'cortical.db';
export const DEFAULT_BUS_PREFIX = 'cortical';
export const DEFAULT_STREAM_NAME = 'CORTICAL_EVENTS';

const PREFIX_RE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const STREAM_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** The config file: every key optional, unknown keys rejected. */
export const HqConfigFileSchema = z
  .object({
    preset: z.enum(PRESETS).optional(),
    /** `sqlite:PATH` (relative to the config file's folder) or `postgres://…`. */
    store: z.string().min(1).optional(),
    /** `memory`, or `nats://host:port[,host:port]`, or a list of NATS servers. */
    bus: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    busPrefix: z.string().min(1).optional(),
    busStream: z.string().min(1).optional(),
  })
  .strict();
export type HqConfigFile = z.infer<typeof HqConfigFileSchema>;

export const CONFIG_FILE_KEYS = Object.keys(HqConfigFileSchema.shape);

export type SettingSource = 'flag' | 'env' | 'file' | 'preset';

export type StoreSetting = { readonly kind: 'sqlite'; readonly path: string } | { readonly kind: 'postgres'; readonly url: string };
export type BusSetting =
  | { readonly kind: 'memory' }
  | { readonly kind: 'nats'; readonly servers: readonly string[]; readonly subjectPrefix: string; readonly streamName: string };

export interface HqSettings {
  readonly preset: Preset;
  readonly store: StoreSetting;
  readonly bus: BusSetting;
  readonly sources: { readonly preset: SettingSource; readonly store: SettingSource; readonly bus: SettingSource };
  /** The config file that was read, or null. */
  readonly configFile: string | null;
}

/** The flags of `cortical hq` that choose the backend (raw strings, validated here). */
export interface HqBackendFlags {
  readonly preset?: string | undefined;
  readonly store?: string | undefined;
  readonly bus?: string | undefined;
}

/**
 * A setting that is wrong: the message names the setting, its source and what is accepted. Values
 * quoted in it are passed through `redactSecrets` first.
 */
export class HqConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HqConfigError';
  }
}

export interface ResolveInput {
  readonly flags: HqBackendFlags;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The parsed config file (see `parseConfigFileText`), or null when there is none. */
  readonly file: { readonly path: string; readonly config: HqConfigFile } | null;
  /** Absolute data directory (the single preset's SQLite file lives there). */
  readonly dataDir: string;
  /** Relative `sqlite:` paths from flags and environment are resolved against this. */
  readonly cwd: string;
}

interface Picked<T> {
  readonly value: T;
  readonly source: SettingSource;
  /** How to name the setting in an error: `--store`, `CORTICAL_STORE`, `"store" in /x/config.json`. */
  readonly where: string;
}

function pick(flag: string | undefined, flagName: string, envName: string, input: ResolveInput, fileKey: keyof HqConfigFile): Picked<string | readonly string[]> | null {
  if (flag !== undefined && flag.trim() !== '') return { value: flag.trim(), source: 'flag', where: flagName };
  const fromEnv = input.env[envName];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return { value: fromEnv.trim(), source: 'env', where: envName };
  const fromFile = input.file?.config[fileKey];
  if (fromFile !== undefined) return { value: fromFile, source: 'file', where: `"${fileKey}" in ${input.file!.path}` };
  return null;
}

export function resolveHqSettings(input: ResolveInput): HqSettings {
  const presetPick = pick(input.flags.preset, '--preset', 'CORTICAL_PRESET', input, 'preset');
  const storePick = pick(input.flags.store, '--store', 'CORTICAL_STORE', input, 'store');
  const busPick = pick(input.flags.bus, '--bus', 'CORTICAL_BUS', input, 'bus');

  const fileDir = input.file === null ? input.cwd : resolve(input.file.path, '..');
  const store = storePick === null ? null : parseStore(asText(storePick), storePick.where, storePick.source === 'file' ? fileDir : input.cwd);
  const busServers = busPick === null ? null : parseBus(busPick.value, busPick.where);

  let preset: Preset;
  let presetSource: SettingSource;
  if (presetPick !== null) {
    const text = asText(presetPick);
    if (!(PRESETS as readonly string[]).includes(text)) {
      throw new HqConfigError(`invalid ${presetPick.where} '${redactSecrets(text)}': accepted presets are ${PRESETS.join(', ')}`);
    }
    preset = text as Preset;
    presetSource = presetPick.source;
  } else {
    preset = store?.kind === 'postgres' || (busServers !== null && busServers !== 'memory') ? 'cluster' : 'single';
    presetSource = 'preset';
  }

  if (preset === 'cluster') {
    if (store === null) {
      throw new HqConfigError(
        'the cluster preset needs a shared store: pass --store postgres://USER:PASSWORD@HOST:5432/DATABASE ' +
          '(or set CORTICAL_STORE, or "store" in the config file)',
      );
    }
    if (store.kind !== 'postgres') {
      throw new HqConfigError(`the cluster preset needs a PostgreSQL store (postgres://…); ${storePick!.where} names SQLite, which only one HQ process can use`);
    }
    if (busServers === null || busServers === 'memory') {
      throw new HqConfigError(
        `the cluster preset needs a NATS bus so that replicas wake each other: pass --bus nats://HOST:4222[,HOST:4222] ` +
          `(or set CORTICAL_BUS, or "bus" in the config file)${busServers === 'memory' ? `; ${busPick!.where} is 'memory', which reaches this process only` : ''}`,
      );
    }
  }

  let bus: BusSetting = { kind: 'memory' };
  if (busServers !== null && busServers !== 'memory') {
    const prefixPick = pick(undefined, '', 'CORTICAL_BUS_PREFIX', input, 'busPrefix');
    const subjectPrefix = prefixPick === null ? DEFAULT_BUS_PREFIX : asText(prefixPick);
    if (!PREFIX_RE.test(subjectPrefix) || subjectPrefix.length > 100) {
      throw new HqConfigError(
        `invalid ${prefixPick!.where} '${redactSecrets(subjectPrefix)}': a subject prefix is dot-separated tokens of letters, digits, "_" and "-" (e.g. cortical or acme.cortical), at most 100 characters`,
      );
    }
    const streamPick = pick(undefined, '', 'CORTICAL_BUS_STREAM', input, 'busStream');
    const streamName = streamPick === null ? defaultStreamName(subjectPrefix) : asText(streamPick);
    if (!STREAM_RE.test(streamName)) {
      throw new HqConfigError(`invalid ${streamPick!.where} '${redactSecrets(streamName)}': a stream name is 1 to 64 letters, digits, "_" or "-"`);
    }
    bus = { kind: 'nats', servers: busServers, subjectPrefix, streamName };
  }

  return {
    preset,
    store: store ?? { kind: 'sqlite', path: join(input.dataDir, SQLITE_FILE_NAME) },
    bus,
    sources: { preset: presetSource, store: storePick?.source ?? 'preset', bus: busPick?.source ?? 'preset' },
    configFile: input.file?.path ?? null,
  };
}

/** `CORTICAL_EVENTS` for the default prefix; `ACME_CORTICAL_EVENTS` for `acme.cortical`. */
export function defaultStreamName(subjectPrefix: string): string {
  if (subjectPrefix === DEFAULT_BUS_PREFIX) return DEFAULT_STREAM_NAME;
  return `${subjectPrefix.toUpperCase().replace(/[^A-Z0-9_-]/g, '_')}_EVENTS`.slice(-64);
}

function asText(p: Picked<string | readonly string[]>): string {
  if (typeof p.value !== 'string') throw new HqConfigError(`invalid ${p.where}: expected a string`);
  return p.value;
}

/** `sqlite:PATH` or `postgres://…` / `postgresql://…`. */
export function parseStore(raw: string, where: string, baseDir: string): StoreSetting {
  const shown = redactSecrets(raw);
  const accepted = 'accepted: sqlite:PATH (a database file) or postgres://USER:PASSWORD@HOST:PORT/DATABASE';
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new HqConfigError(`invalid ${where} '${shown}': sqlite: needs a file path, e.g. sqlite:/var/lib/cortical/cortical.db`);
    return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(baseDir, path) };
  }
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) {
    try {
      new URL(raw);
    } catch {
      throw new HqConfigError(`invalid ${where} '${shown}': not a valid URL; ${accepted}`);
    }
    return { kind: 'postgres', url: raw };
  }
  throw new HqConfigError(`invalid ${where} '${shown}': ${accepted}`);
}

/**
 * `memory`, or NATS servers: `nats://host:port[,host:port…]` (each entry may repeat `nats://`;
 * the port defaults to 4222), or a list of them (config file). Returns normalised
 * `nats://host:port` URLs (credentials kept for the client).
 */
export function parseBus(raw: string | readonly string[], where: string): 'memory' | string[] {
  const text = typeof raw === 'string' ? raw : raw.join(',');
  if (text === 'memory') return 'memory';
  const accepted = 'accepted: memory, or nats://HOST:PORT[,HOST:PORT…]';
  const parts = text.split(',').map((p) => p.trim());
  const servers: string[] = [];
  for (const part of parts) {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(part) ? part : `nats://${part}`;
    const shown = redactSecrets(withScheme);
    if (part === '') throw new HqConfigError(`invalid ${where}: an empty server in '${redactSecrets(text)}'; ${accepted}`);
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw new HqConfigError(`invalid ${where}: '${shown}' is not host:port; ${accepted}`);
    }
    if (url.protocol !== 'nats:' && url.protocol !== 'tls:') {
      throw new HqConfigError(`invalid ${where}: '${shown}' is not a NATS URL (nats:// or tls://); ${accepted}`);
    }
    if (url.hostname === '' || (url.pathname !== '' && url.pathname !== '/') || url.search !== '') {
      throw new HqConfigError(`invalid ${where}: '${shown}' is not host:port; ${accepted}`);
    }
    servers.push(withScheme.replace(/\/+$/, ''));
  }
  return servers;
}

/** The settings for a log line, with secrets masked. */
export function describeHqSettings(s: HqSettings): Record<string, unknown> {
  return {
    preset: s.preset,
    store: s.store.kind === 'sqlite' ? `sqlite:${s.store.path}` : redactSecrets(s.store.url),
    bus: s.bus.kind === 'memory' ? 'memory' : s.bus.servers.map(redactSecrets).join(','),
    ...(s.bus.kind === 'nats' ? { busPrefix: s.bus.subjectPrefix, busStream: s.bus.streamName } : {}),
    sources: s.sources,
    configFile: s.configFile,
  };
}
