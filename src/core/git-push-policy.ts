/**
 * What a sleeve may push through HQ: pure parsing of a git receive-pack request's command list
 * (pkt-lines, before the pack) and the rule that a task writes only its own branch,
 * `refs/heads/cortical/<taskId>`, and never deletes it.
 */
export interface RefUpdate {
  readonly oldId: string;
  readonly newId: string;
  readonly ref: string;
}

export type ParsedCommands =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'invalid'; readonly why: string }
  | {
      readonly kind: 'ok';
      readonly updates: readonly RefUpdate[];
      readonly capabilities: readonly string[];
      /** Characters consumed up to and including the flush packet. */
      readonly length: number;
    };

const OBJECT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const ZERO_ID = /^0+$/;
/** Commands of a push are short; a longer header is refused rather than buffered. */
export const MAX_COMMANDS_CHARS = 1024 * 1024;

/**
 * Parses the command section of a receive-pack request given as a binary (latin1) string:
 * `shallow` lines, then `<old> <new> <ref>[\0caps]` lines, then a flush packet. Push
 * certificates are refused (not supported). `incomplete` = more bytes needed.
 */
export function parseReceivePackCommands(data: string): ParsedCommands {
  let pos = 0;
  const updates: RefUpdate[] = [];
  let capabilities: string[] = [];
  for (;;) {
    if (data.length < pos + 4) return data.length > MAX_COMMANDS_CHARS ? { kind: 'invalid', why: 'command list too long' } : { kind: 'incomplete' };
    const lenHex = data.slice(pos, pos + 4);
    if (!/^[0-9a-f]{4}$/.test(lenHex)) return { kind: 'invalid', why: `bad pkt-line length '${lenHex}'` };
    const len = parseInt(lenHex, 16);
    if (len === 0) {
      if (updates.length === 0) return { kind: 'invalid', why: 'no ref updates in the push' };
      return { kind: 'ok', updates, capabilities, length: pos + 4 };
    }
    if (len < 4) return { kind: 'invalid', why: `bad pkt-line length ${len}` };
    if (data.length < pos + len) return data.length > MAX_COMMANDS_CHARS ? { kind: 'invalid', why: 'command list too long' } : { kind: 'incomplete' };
    let line = data.slice(pos + 4, pos + len);
    pos += len;
    if (line.endsWith('\n')) line = line.slice(0, -1);
    if (line.startsWith('shallow ')) continue;
    if (line.startsWith('push-cert')) return { kind: 'invalid', why: 'signed pushes (push certificates) are not supported' };
    const nul = line.indexOf('\0');
    if (nul >= 0) {
      if (updates.length === 0) capabilities = line.slice(nul + 1).split(' ').filter((c) => c !== '');
      line = line.slice(0, nul);
    }
    const parts = line.split(' ');
    const [oldId, newId, ref] = parts;
    if (parts.length !== 3 || oldId === undefined || newId === undefined || ref === undefined || !OBJECT_ID.test(oldId) || !OBJECT_ID.test(newId)) {
      return { kind: 'invalid', why: `bad ref update line '${line.slice(0, 120)}'` };
    }
    updates.push({ oldId, newId, ref });
  }
}

/** The one ref a task may write. */
export function taskRef(taskId: string): string {
  return `refs/heads/cortical/${taskId}`;
}

/** Why `update` is refused for `taskId`, or null when it is allowed. */
export function refusal(update: RefUpdate, taskId: string): string | null {
  if (update.ref !== taskRef(taskId)) return `only ${taskRef(taskId)} may be written by this task`;
  if (ZERO_ID.test(update.newId)) return 'deleting the task branch is not allowed';
  return null;
}

/** A pkt-line holding `payload` (latin1 string). */
export function pktLine(payload: string): string {
  return (payload.length + 4).toString(16).padStart(4, '0') + payload;
}

export const FLUSH_PKT = '0000';

/**
 * The receive-pack report that refuses every update of a push (the pack is discarded), in the
 * side band when the client asked for one, so `git push` prints each ref as `[remote rejected]`
 * with the reason.
 */
export function refusalReport(updates: readonly RefUpdate[], reasons: ReadonlyMap<string, string>, capabilities: readonly string[]): string {
  const lines = [pktLine('unpack ok\n')];
  for (const u of updates) {
    const why = reasons.get(u.ref) ?? 'refused because another ref update of this push was refused';
    lines.push(pktLine(`ng ${u.ref} ${why}\n`));
  }
  const report = lines.join('') + FLUSH_PKT;
  if (!capabilities.includes('side-band-64k') && !capabilities.includes('side-band')) return report;
  const max = capabilities.includes('side-band-64k') ? 65515 : 995;
  let out = '';
  for (let i = 0; i < report.length; i += max) out += pktLine('\x01' + report.slice(i, i + max));
  return out + FLUSH_PKT;
}
