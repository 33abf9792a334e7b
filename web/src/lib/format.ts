/** Display formatting shared by the views: dollars, rates, sizes and relative times. */

const usd2 = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const usd4 = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 });
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `$1,234.50`; amounts under a dollar keep up to 4 decimals (`$0.0042`); absent → `—`. */
export function formatUsd(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return '—';
  return Math.abs(usd) > 0 && Math.abs(usd) < 1 ? usd4.format(usd) : usd2.format(usd);
}

/** `$0.50/h`. */
export function formatUsdPerHour(usdPerHour: number | null | undefined): string {
  const s = formatUsd(usdPerHour);
  return s === '—' ? s : `${s}/h`;
}

export function formatInt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return int.format(n);
}

/** Megabytes as `512 MB` or `15.6 GB`. */
export function formatMb(mb: number): string {
  if (mb >= 1024) return `${(mb / 1024).toFixed(1)} GB`;
  return `${Math.round(mb)} MB`;
}

/** `just now`, `42 s ago`, `5 min ago`, `3 h ago`, `2 d ago` (or `in …` for future times). */
export function formatRelative(atMs: number, nowMs: number): string {
  const diff = nowMs - atMs;
  const abs = Math.abs(diff);
  let text: string;
  if (abs < 5_000) return 'just now';
  if (abs < 60_000) text = `${Math.floor(abs / 1000)} s`;
  else if (abs < 3_600_000) text = `${Math.floor(abs / 60_000)} min`;
  else if (abs < 86_400_000) text = `${Math.floor(abs / 3_600_000)} h`;
  else text = `${Math.floor(abs / 86_400_000)} d`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** An ISO-like local time for tables: `2026-11-21 20:31:05`. */
export function formatTime(atMs: number): string {
  const d = new Date(atMs);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
