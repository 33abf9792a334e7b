import type { Writable } from 'node:stream';
import type { SleeveInput } from '../../../core/ports/runtime.js';

/** A sleeve's open stdin over a child's stdin stream; writes after the end are refused, never thrown. */
export function sleeveInput(stream: Writable): SleeveInput {
  let open = true;
  stream.on('error', () => (open = false));
  stream.on('close', () => (open = false));
  return {
    write(text) {
      if (!open || stream.destroyed || stream.writableEnded) return false;
      stream.write(text);
      return true;
    },
    end() {
      if (!open) return;
      open = false;
      stream.end();
    },
  };
}

/** Writes `initial` to a child's stdin and either ends it or hands it out as the sleeve's input. */
export function handStdin(stream: Writable | null | undefined, initial: string | undefined, keepOpen: boolean): SleeveInput | undefined {
  if (!stream) return undefined;
  stream.on('error', () => undefined);
  if (!keepOpen) {
    stream.end(initial ?? '');
    return undefined;
  }
  const input = sleeveInput(stream);
  if (initial !== undefined && initial !== '') input.write(initial);
  return input;
}
