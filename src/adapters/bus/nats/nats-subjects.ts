import { z } from 'zod';
import type { EventType } from '../../../core/events.js';
import { BUS_TOPICS, type BusTopic } from '../../../core/ports/bus.js';

/**
 * Every NATS subject Cortical uses starts with one prefix (default `cortical`), so that several
 * fleets (or tests) can share a server:
 * - `<prefix>.bus.<topic>`: core NATS wake-ups (`cortical.bus.tasks.queued`);
 * - `<prefix>.events.<event type>`: the JetStream event stream (`cortical.events.task.created`).
 */
export const SubjectPrefix = z
  .string()
  .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'a subject prefix is dot-separated tokens of letters, digits, "_" and "-" (e.g. "cortical" or "acme.cortical")')
  .max(100);

export function busSubject(prefix: string, topic: BusTopic): string {
  return `${prefix}.bus.${topic}`;
}

/** The topic of a bus subject, or null when the subject is not one of the bus's topics. */
export function busTopicFromSubject(prefix: string, subject: string): BusTopic | null {
  const head = `${prefix}.bus.`;
  if (!subject.startsWith(head)) return null;
  const topic = subject.slice(head.length);
  return (BUS_TOPICS as readonly string[]).includes(topic) ? (topic as BusTopic) : null;
}

/** The wildcard the event stream captures. */
export function eventSubjects(prefix: string): string {
  return `${prefix}.events.>`;
}

export function eventSubject(prefix: string, type: EventType): string {
  return `${prefix}.events.${type}`;
}
