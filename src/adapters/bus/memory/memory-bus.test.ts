import { describe, expect, it } from 'vitest';
import type { Logger } from '../../../core/ports/logger.js';
import { MemoryBus } from './memory-bus.js';

describe('MemoryBus', () => {
  it('delivers before publish resolves', async () => {
    const bus = new MemoryBus();
    let seen = false;
    bus.subscribe('tasks.queued', () => {
      seen = true;
    });
    await bus.publish({ topic: 'tasks.queued', data: {} });
    expect(seen).toBe(true);
  });

  it('logs handler errors', async () => {
    const errors: string[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (_obj, msg) => errors.push(msg),
      child: () => logger,
    };
    const bus = new MemoryBus(logger);
    bus.subscribe('tasks.changed', () => {
      throw new Error('boom');
    });
    await bus.publish({ topic: 'tasks.changed', data: {} });
    expect(errors).toHaveLength(1);
  });

  it('a handler that unsubscribes another during fan-out stops it from being called', async () => {
    const bus = new MemoryBus();
    const calls: string[] = [];
    let offB: () => void = () => undefined;
    bus.subscribe('nodes.changed', () => {
      calls.push('a');
      offB();
    });
    offB = bus.subscribe('nodes.changed', () => calls.push('b'));
    await bus.publish({ topic: 'nodes.changed', data: {} });
    expect(calls).toEqual(['a']);
  });
});
