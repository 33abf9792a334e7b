/**
 * Durations on the command line: `250ms`, `90s`, `5m`, `2h`, `1d`, compounds such as `1h30m` or
 * `1m30s500ms` (units largest first, each at most once), decimals such as `1.5h`. A plain number
 * is a number of SECONDS (`90` = `90s`).
 */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: readonly Unit[] = ['d', 'h', 'm', 's', 'ms'];

const PLAIN_NUMBER = /^\d+(?:\.\d+)?$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

export class DurationError extends Error {
  constructor(input: string, why?: string) {
    super(
      `invalid duration '${input}'${why ? ` (${why})` : ''}: use e.g. 250ms, 90s, 5m, 1h30m, 2h, 1d, or a plain number of seconds`,
    );
    this.name = 'DurationError';
  }
}

/** Parses a duration into whole milliseconds (rounded). Throws `DurationError` on garbage. */
export function parseDurationMs(input: string): number {
  const text = input.trim().toLowerCase();
  if (text === '') throw new DurationError(input, 'empty');
  let ms: number;
  if (PLAIN_NUMBER.test(text)) {
    ms = Number(text) * 1000;
  } else {
    ms = 0;
    PART.lastIndex = 0;
    let lastRank = -1;
    while (PART.lastIndex < text.length) {
      const m = PART.exec(text);
      if (m === null) throw new DurationError(input);
      const unit = m[2] as Unit;
      const rank = UNIT_ORDER.indexOf(unit);
      if (rank <= lastRank) throw new DurationError(input, 'units must go from largest to smallest, each once');
      lastRank = rank;
      ms += Number(m[1]) * UNIT_MS[unit];
    }
  }
  if (!Number.isFinite(ms) || ms > Number.MAX_SAFE_INTEGER) throw new DurationError(input, 'too large');
  return Math.round(ms);
}

/** Like `parseDurationMs` but also rejects zero. */
export function parsePositiveDurationMs(input: string): number {
  const ms = parseDurationMs(input);
  if (ms <= 0) throw new DurationError(input, 'must be greater than zero');
  return ms;
}

/** Short human form: `250ms`, `4.2s`, `5m 3s`, `2h 5m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const abs = Math.abs(ms);
  const sign = ms < 0 ? '-' : '';
  if (abs < 1000) return `${sign}${Math.round(abs)}ms`;
  if (abs < 10_000) return `${sign}${(Math.floor(abs / 100) / 10).toFixed(1)}s`;
  const totalS = Math.floor(abs / 1000);
  if (totalS < 60) return `${sign}${totalS}s`;
  const totalM = Math.floor(totalS / 60);
  if (totalM < 60) return `${sign}${totalM}m${totalS % 60 ? ` ${totalS % 60}s` : ''}`;
  const totalH = Math.floor(totalM / 60);
  if (totalH < 24) return `${sign}${totalH}h${totalM % 60 ? ` ${totalM % 60}m` : ''}`;
  const days = Math.floor(totalH / 24);
  return `${sign}${days}d${totalH % 24 ? ` ${totalH % 24}h` : ''}`;
}

/** `3s ago`, `5m ago`, `in 2h`; `just now` within a second. */
export function formatAgo(atMs: number, nowMs: number): string {
  const delta = nowMs - atMs;
  if (Math.abs(delta) < 1000) return 'just now';
  const text = formatDuration(Math.abs(delta)).split(' ')[0] ?? '';
  const rounded = text.endsWith('s') && text.includes('.') ? `${Math.floor(Math.abs(delta) / 1000)}s` : text;
  return delta > 0 ? `${rounded} ago` : `in ${rounded}`;
}
