// Calling windows (issue 14.7): a task dials only inside local hours on local days, in its time zone, and
// optionally in each number's own zone, found by the longest matching prefix of a table. Pure: the clock is an
// argument; the dialer asks `isOpen` every tick and dispensing asks `zoneOf`/`isOpenIn` for each number.
import { invalid, type AppError } from '../core/errors.js';
import { compile, type CallingWindow } from './calling-window-lookup.js';

export type { CallingWindow };

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const WEEKDAY: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** The local ISO weekday and minute of the day at `now` in `timeZone`. */
export function localTime(now: number, timeZone: string): { day: number; minute: number } {
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const p of formatter(timeZone).formatToParts(new Date(now))) {
    if (p.type === 'weekday') day = WEEKDAY[p.value] ?? 0;
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { day, minute: hour * 60 + minute };
}

export function isOpenIn(w: CallingWindow, timeZone: string, now: number): boolean {
  return compile(w).isOpenIn(timeZone, now);
}

/** The zone a number is called in: the longest matching prefix of the table, else the task's. */
export function zoneOf(w: CallingWindow, phone: string): string {
  return compile(w).zoneOf(phone);
}

/** Is any of the task's zones inside its hours? (With a prefix table, numbers are then screened one by one.) */
export function isOpen(w: CallingWindow, now: number): boolean {
  return compile(w).isOpen(now);
}

/** When `isOpen` next changes after `now` (to the minute), or null if it never does within 8 days. */
export function nextChange(w: CallingWindow, now: number): number | null {
  return compile(w).nextChange(now);
}

/**
 * The stored window (a task's callingWindow column) as an object, the same object for the same text, so its
 * compiled lookups are built once and not at every dispensing. Undefined for text that does not parse.
 */
export function windowOf(text: string | null): CallingWindow | undefined {
  if (text === null) return undefined;
  let w = parsedTexts.get(text);
  if (!w) {
    try {
      w = JSON.parse(text) as CallingWindow;
    } catch {
      return undefined;
    }
    if (parsedTexts.size >= PARSED_TEXTS) parsedTexts.clear();
    parsedTexts.set(text, w);
  }
  return w;
}
const PARSED_TEXTS = 256;
const parsedTexts = new Map<string, CallingWindow>();

/**
 * Sizes a real operator needs, with room to spare (issue 17.9): a week has 7 days; 24 ranges allow an hour-by-hour
 * plan; 2,000 prefixes cover every country code plus the area codes of the NANP, Russia or Brazil; 40 zones cover
 * the countries with the most (Russia 11, the US 9, Australia 8...).
 */
const WINDOW_LIMITS = { days: 7, hours: 24, prefixTimeZones: 2000, zones: 40 } as const;

const zoneValidity = new Map<string, boolean>();
function validZone(z: unknown): z is string {
  if (typeof z !== 'string' || z === '' || z.length > 64) return false;
  let valid = zoneValidity.get(z);
  if (valid === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: z });
      valid = true;
    } catch {
      valid = false;
    }
    if (zoneValidity.size >= 1024) zoneValidity.clear();
    zoneValidity.set(z, valid);
  }
  return valid;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const minutes = (s: string): number => {
  const m = HHMM.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : -1;
};

/**
 * The API's `callingWindow`: JSON (text in a form field, or an object) like
 * {"timeZone":"Asia/Shanghai","days":[1,2,3,4,5],"hours":[["09:00","12:00"],["13:30","20:00"]],
 *  "prefixTimeZones":[{"prefix":"1212","timeZone":"America/New_York"}]}. `days` defaults to every day; `to` may be
 * "24:00". Returns the window or an `invalid` error naming the field.
 */
export function parseCallingWindow(raw: unknown): CallingWindow | AppError {
  const F = 'callingWindow';
  let v = raw;
  if (typeof raw === 'string') {
    try {
      v = JSON.parse(raw);
    } catch {
      return invalid(`${F} must be JSON like {"timeZone":"Asia/Shanghai","hours":[["09:00","20:00"]]}`);
    }
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return invalid(`${F} must be a JSON object`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!['timeZone', 'days', 'hours', 'prefixTimeZones'].includes(k))
      return invalid(`${F}.${k} is not a known field (timeZone, days, hours, prefixTimeZones)`);
  if (!validZone(o.timeZone)) return invalid(`${F}.timeZone must be an IANA time zone like Asia/Shanghai`);
  const days = o.days === undefined ? [1, 2, 3, 4, 5, 6, 7] : o.days;
  if (Array.isArray(days) && days.length > WINDOW_LIMITS.days)
    return invalid(`${F}.days may list at most ${WINDOW_LIMITS.days} weekdays (it has ${days.length})`);
  if (
    !Array.isArray(days) ||
    days.length === 0 ||
    !days.every((d) => Number.isInteger(d) && d >= 1 && d <= 7)
  )
    return invalid(`${F}.days must be a non-empty array of ISO weekdays 1 (Monday) to 7 (Sunday)`);
  if (!Array.isArray(o.hours) || o.hours.length === 0)
    return invalid(`${F}.hours must be a non-empty array of ["HH:mm","HH:mm"] ranges`);
  if (o.hours.length > WINDOW_LIMITS.hours)
    return invalid(`${F}.hours may hold at most ${WINDOW_LIMITS.hours} ranges (it has ${o.hours.length})`);
  const hours: [number, number][] = [];
  for (const [i, r] of o.hours.entries()) {
    const pair = Array.isArray(r) && r.length === 2 ? (r as unknown[]) : undefined;
    const from = typeof pair?.[0] === 'string' ? minutes(pair[0]) : -1;
    const to = pair?.[1] === '24:00' ? 1440 : typeof pair?.[1] === 'string' ? minutes(pair[1]) : -1;
    if (from < 0 || to < 0 || from >= to)
      return invalid(`${F}.hours[${i}] must be ["HH:mm","HH:mm"] with the start before the end`);
    hours.push([from, to]);
  }
  const rawPrefixes = o.prefixTimeZones ?? [];
  if (!Array.isArray(rawPrefixes)) return invalid(`${F}.prefixTimeZones must be an array`);
  if (rawPrefixes.length > WINDOW_LIMITS.prefixTimeZones)
    return invalid(
      `${F}.prefixTimeZones may hold at most ${WINDOW_LIMITS.prefixTimeZones} prefixes (it has ${rawPrefixes.length})`,
    );
  const prefixTimeZones: CallingWindow['prefixTimeZones'] = [];
  const seen = new Set<string>();
  const zones = new Set<string>([o.timeZone]);
  for (const [i, p] of rawPrefixes.entries()) {
    const e = (p ?? {}) as { prefix?: unknown; timeZone?: unknown };
    if (typeof e.prefix !== 'string' || !/^\d{1,15}$/.test(e.prefix))
      return invalid(`${F}.prefixTimeZones[${i}].prefix must be 1-15 digits`);
    if (!validZone(e.timeZone))
      return invalid(`${F}.prefixTimeZones[${i}].timeZone must be an IANA time zone`);
    if (seen.has(e.prefix)) return invalid(`${F}.prefixTimeZones lists prefix ${e.prefix} twice`);
    seen.add(e.prefix);
    zones.add(e.timeZone);
    if (zones.size > WINDOW_LIMITS.zones)
      return invalid(
        `${F}.prefixTimeZones may use at most ${WINDOW_LIMITS.zones} time zones with the task's`,
      );
    prefixTimeZones.push({ prefix: e.prefix, timeZone: e.timeZone });
  }
  return { timeZone: o.timeZone, days: [...new Set(days as number[])].sort(), hours, prefixTimeZones };
}

/** The stored form back as the API's JSON (for callTaskStatus). */
export function showCallingWindow(w: CallingWindow) {
  const hhmm = (m: number) =>
    `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return {
    timeZone: w.timeZone,
    days: w.days,
    hours: w.hours.map(([a, b]) => [hhmm(a), hhmm(b)]),
    prefixTimeZones: w.prefixTimeZones,
  };
}
