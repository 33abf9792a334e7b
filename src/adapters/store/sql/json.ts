import { CorticalError } from '../../../core/errors.js';

/** JSON columns are TEXT in every dialect. */
export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

export function parseJson<T>(text: string, column: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CorticalError('INTERNAL', `column ${column} holds invalid JSON`);
  }
}
