import type { Clock } from '../../../core/clock.js';

export class SystemClock implements Clock {
  nowMs(): number {
    return Date.now();
  }
}
