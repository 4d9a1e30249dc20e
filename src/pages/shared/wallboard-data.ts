// The wallboard's figures as chart series (pure, unit-tested): the server's samples (/topic/wallboard/{project},
// src/supervisor/wallboard.ts) of the last hour, in time order, as uPlot's aligned arrays (x in seconds).

// The server's type (a type-only import: nothing of the server is bundled into the page).
import type { WallboardSample } from '../../supervisor/wallboard.js';

export type { WallboardSample };

export const HOUR_MS = 3600_000;

/** Keeps the samples of the hour before the newest one, in time order, without duplicates. */
export function lastHour(samples: readonly WallboardSample[], add?: WallboardSample): WallboardSample[] {
  const all = add ? [...samples, add] : [...samples];
  all.sort((a, b) => a.at - b.at);
  const newest = all.at(-1)?.at ?? 0;
  return all.filter((s, i) => s.at >= newest - HOUR_MS && (i === 0 || all[i - 1]?.at !== s.at));
}

export interface WallboardSeries {
  x: number[];
  idle: number[];
  talking: number[];
  notAvailable: number[];
  offline: number[];
  waiting: number[];
  callsPerMinute: number[];
  /** Percentages. */
  occupancy: number[];
  abandon: (number | null)[];
  cap: number[];
}

export function toSeries(samples: readonly WallboardSample[]): WallboardSeries {
  const pct = (x: number) => Math.round(x * 1000) / 10;
  return {
    x: samples.map((s) => Math.round(s.at / 1000)),
    idle: samples.map((s) => s.agents.idle),
    talking: samples.map((s) => s.agents.talking + s.agents.conference),
    notAvailable: samples.map((s) => s.agents.notAvailable),
    offline: samples.map((s) => s.agents.offline),
    waiting: samples.map((s) => s.waiting),
    callsPerMinute: samples.map((s) => s.callsPerMinute),
    occupancy: samples.map((s) => pct(s.occupancy)),
    abandon: samples.map((s) => (s.abandonRate === null ? null : pct(s.abandonRate))),
    cap: samples.map((s) => pct(s.cap)),
  };
}

/** "2.4%" or "—" without live answers. */
export const percentText = (rate: number | null): string =>
  rate === null ? '—' : `${(Math.round(rate * 1000) / 10).toFixed(1)}%`;

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * A time axis tick or legend value (x in seconds) as a Chinese page writes it, in the browser's zone: "14:05"
 * on a 24-hour clock, or "11月23日 14:05" when `withDate` (ticks spanning more than one day). uPlot's own default
 * is US style ("11/23", "2pm").
 */
export function axisTimeText(sec: number, withDate: boolean): string {
  const d = new Date(sec * 1000);
  const time = `${two(d.getHours())}:${two(d.getMinutes())}`;
  return withDate ? `${d.getMonth() + 1}月${d.getDate()}日 ${time}` : time;
}

/** The ticks of one axis: with the date only when they do not all fall on one day. */
export function axisTicks(splits: readonly number[]): string[] {
  const days = new Set(splits.map((s) => new Date(s * 1000).toDateString()));
  return splits.map((s) => axisTimeText(s, days.size > 1));
}
