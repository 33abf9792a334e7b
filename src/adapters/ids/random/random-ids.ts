import { randomBytes } from 'node:crypto';
import type { IdGenerator, IdPrefix } from '../../../core/ids.js';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lowercase

/**
 * Ids like `task_01jd3k8x2m…`: 10 characters of millisecond time (so ids sort by creation time)
 * followed by 16 characters (80 bits) of randomness.
 */
export class RandomIds implements IdGenerator {
  constructor(private readonly nowMs: () => number = () => Date.now()) {}

  newId(prefix: IdPrefix): string {
    return `${prefix}_${encodeTime(this.nowMs())}${encodeRandom(16)}`;
  }
}

function encodeTime(ms: number): string {
  let out = '';
  let t = Math.max(0, Math.floor(ms));
  for (let i = 0; i < 10; i++) {
    out = (ALPHABET[t % 32] ?? '0') + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeRandom(chars: number): string {
  const bytes = randomBytes(chars);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % 32] ?? '0';
  return out;
}
