import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { z } from 'zod';
import type { Logger } from '../../../core/ports/logger.js';
import { eventSubjects, SubjectPrefix } from './nats-subjects.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The server's error code for "stream name already in use" (the client has no constant for it). */
const STREAM_NAME_IN_USE = 10058;

export const EventStreamOptions = z
  .object({
    subjectPrefix: SubjectPrefix.default('cortical'),
    /** Stream name: letters, digits, `_` and `-`. */
    streamName: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a stream name is 1 to 64 letters, digits, "_" or "-"')
      .default('CORTICAL_EVENTS'),
    /** Events older than this are removed from the stream (the store keeps them). */
    maxAgeMs: z.number().int().min(1_000).max(3650 * DAY_MS).default(7 * DAY_MS),
    /** The stream's size bound; the oldest events go first. */
    maxBytes: z.number().int().min(1024 * 1024).default(1024 * 1024 * 1024),
    /** How long the server remembers an event's id to drop a re-publish of it. */
    duplicateWindowMs: z.number().int().min(1_000).max(DAY_MS).default(10 * 60 * 1000),
    storage: z.enum(['file', 'memory']).default('file'),
  })
  .refine((o) => o.duplicateWindowMs <= o.maxAgeMs, { message: 'duplicateWindowMs must not exceed maxAgeMs', path: ['duplicateWindowMs'] });
export type EventStreamOptions = z.infer<typeof EventStreamOptions>;
export type EventStreamOptionsInput = z.input<typeof EventStreamOptions>;

/** The settings Cortical owns on the stream (everything else is left as the operator set it). */
export function wantedStreamConfig(o: EventStreamOptions): Pick<StreamConfig, 'name' | 'subjects' | 'retention' | 'storage' | 'max_age' | 'max_bytes' | 'duplicate_window' | 'discard'> {
  return {
    name: o.streamName,
    subjects: [eventSubjects(o.subjectPrefix)],
    retention: RetentionPolicy.Limits,
    storage: o.storage === 'file' ? StorageType.File : StorageType.Memory,
    max_age: nanos(o.maxAgeMs),
    max_bytes: o.maxBytes,
    duplicate_window: nanos(o.duplicateWindowMs),
    discard: DiscardPolicy.Old,
  };
}

/**
 * Create the event stream, or update it when its subjects or limits differ from the options
 * (idempotent; safe when several replicas start at once). The storage type cannot be changed on
 * a live stream: a mismatch is logged and kept.
 */
export async function ensureEventStream(jsm: JetStreamManager, o: EventStreamOptions, logger: Logger): Promise<StreamInfo> {
  const want = wantedStreamConfig(o);
  for (let attempt = 0; ; attempt++) {
    const existing = await streamInfoOrNull(jsm, want.name);
    if (existing === null) {
      try {
        const created = await jsm.streams.add(want);
        logger.info({ stream: want.name, subjects: want.subjects }, 'event stream created');
        return created;
      } catch (e) {
        // Another replica created it between our look-up and add: read it again.
        if (attempt === 0 && e instanceof JetStreamApiError && e.code === STREAM_NAME_IN_USE) continue;
        throw e;
      }
    }
    const c = existing.config;
    if (c.storage !== want.storage) {
      logger.warn({ stream: want.name, storage: c.storage, wanted: want.storage }, 'event stream storage differs from the settings; kept (it cannot change in place)');
    }
    const same =
      c.subjects.length === 1 &&
      c.subjects[0] === want.subjects[0] &&
      c.max_age === want.max_age &&
      c.max_bytes === want.max_bytes &&
      c.duplicate_window === want.duplicate_window &&
      c.discard === want.discard;
    if (same) return existing;
    const updated = await jsm.streams.update(want.name, {
      ...c,
      subjects: want.subjects,
      max_age: want.max_age,
      max_bytes: want.max_bytes,
      duplicate_window: want.duplicate_window,
      discard: want.discard,
    });
    logger.info({ stream: want.name }, 'event stream limits updated');
    return updated;
  }
}

async function streamInfoOrNull(jsm: JetStreamManager, name: string): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(name);
  } catch (e) {
    if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound) return null;
    throw e;
  }
}
