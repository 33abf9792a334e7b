import { utcDay } from '../../core/budgets.js';
import type { HqDeps } from './hq-deps.js';

const HOUR_MS = 3_600_000;

export interface TodayFigures {
  /** The UTC day, `YYYY-MM-DD`. */
  readonly date: string;
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly usd: number;
  readonly tokens: number;
}

export interface HourPoint {
  /** Epoch ms of the hour's start. */
  readonly hour: number;
  readonly usd: number;
  readonly tokens: number;
}

/** The fleet's figures of the day and spend per hour, for the dashboard and `cortical status`. */
export class DashboardService {
  constructor(private readonly deps: HqDeps) {}

  async today(): Promise<TodayFigures> {
    const now = this.deps.clock.nowMs();
    const day = utcDay(now);
    const dayStart = Date.parse(`${day}T00:00:00.000Z`);
    const [finished, spend] = await Promise.all([this.deps.store.countFinishedSince(dayStart), this.deps.store.spendOn(day)]);
    let usd = 0;
    let tokens = 0;
    for (const s of spend.values()) {
      usd += s.usd;
      tokens += s.tokens;
    }
    return { date: day, ...finished, usd, tokens };
  }

  /**
   * Spend in the last 60 minutes, from the hourly roll-up: the current hour's spend plus the part
   * of the previous hour's spend that falls in the window (pro rata).
   */
  async burnRateUsdPerHour(): Promise<number> {
    const now = this.deps.clock.nowMs();
    const current = Math.floor(now / HOUR_MS) * HOUR_MS;
    const rows = await this.deps.store.usageHourly({ sinceMs: current - HOUR_MS, untilMs: now });
    const inWindow = (current + HOUR_MS - now) / HOUR_MS;
    let usd = 0;
    for (const r of rows) usd += r.hour === current ? r.usd : r.usd * inWindow;
    return usd;
  }

  /** The last `hours` hours (the current one included), oldest first, hours without spend as zeros. */
  async hourly(hours: number): Promise<HourPoint[]> {
    const now = this.deps.clock.nowMs();
    const current = Math.floor(now / HOUR_MS) * HOUR_MS;
    const first = current - (hours - 1) * HOUR_MS;
    const rows = await this.deps.store.usageHourly({ sinceMs: first, untilMs: now });
    const byHour = new Map(rows.map((r) => [r.hour, r]));
    const out: HourPoint[] = [];
    for (let h = first; h <= current; h += HOUR_MS) {
      const r = byHour.get(h);
      out.push({ hour: h, usd: r?.usd ?? 0, tokens: r?.tokens ?? 0 });
    }
    return out;
  }
}
