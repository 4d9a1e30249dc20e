// The calling window compiled for lookups (issue 17.9): a prefix trie gives a number's zone in at most 15 steps,
// minute and weekday masks say whether a local time is inside the hours, and each zone's UTC offset is computed once
// per quarter hour instead of formatting a date for every question. Before this, a table of 40,000 prefixes was
// scanned for every number and for every quarter hour of nextChange's eight days, stalling the server for seconds.

export interface CallingWindow {
  /** IANA time zone of the task, e.g. Asia/Shanghai. */
  timeZone: string;
  /** ISO weekdays the task may dial: 1 Monday ... 7 Sunday. */
  days: number[];
  /** Local [from, to) ranges in minutes since midnight, from < to (a range does not cross midnight). */
  hours: [number, number][];
  /** Optional per-number zones: the longest matching prefix wins; other numbers use `timeZone`. */
  prefixTimeZones: { prefix: string; timeZone: string }[];
}

const MINUTE = 60_000;
const QUARTER = 15 * MINUTE;
const DAY = 86_400_000;

interface TrieNode {
  zone?: string;
  next: (TrieNode | undefined)[];
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();
function offsetFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = offsetFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    offsetFormatters.set(timeZone, f);
  }
  return f;
}

/** The zone's offset from UTC at `t` (ms, to the minute): local wall time read as UTC, minus `t`. */
function utcOffset(timeZone: string, t: number): number {
  const at = Math.floor(t / MINUTE) * MINUTE;
  const v: Record<string, number> = {};
  for (const p of offsetFormatter(timeZone).formatToParts(new Date(at)))
    if (p.type !== 'literal') v[p.type] = Number(p.value);
  const wall = Date.UTC(v.year ?? 1970, (v.month ?? 1) - 1, v.day ?? 1, v.hour ?? 0, v.minute ?? 0);
  return wall - at;
}

class CompiledWindow {
  private readonly root: TrieNode = { next: [] };
  /** ISO weekday (1-7) → dialling allowed. */
  private readonly dayOpen = new Array<boolean>(8).fill(false);
  /** Minute of the local day → inside one of the ranges. */
  private readonly minuteOpen = new Uint8Array(1440);
  /** The task's zone first, then the table's, each once. */
  readonly zones: string[];
  /** Per zone, its offset for the quarter hour asked last (zone offsets change on whole quarter hours). */
  private readonly offsets = new Map<string, { quarter: number; offset: number }>();

  constructor(readonly window: CallingWindow) {
    for (const d of window.days) this.dayOpen[d] = true;
    for (const [from, to] of window.hours) this.minuteOpen.fill(1, from, to);
    for (const { prefix, timeZone } of window.prefixTimeZones) {
      let node = this.root;
      for (const ch of prefix) {
        const digit = ch.charCodeAt(0) - 48;
        node = node.next[digit] ??= { next: [] };
      }
      node.zone = timeZone;
    }
    this.zones = [...new Set([window.timeZone, ...window.prefixTimeZones.map((p) => p.timeZone)])];
  }

  /** The zone a number is called in: the longest matching prefix of the table, else the task's. */
  zoneOf(phone: string): string {
    let zone = this.window.timeZone;
    let node: TrieNode | undefined = this.root;
    for (let i = phone.startsWith('+') ? 1 : 0; i < phone.length && node; i++) {
      node = node.next[phone.charCodeAt(i) - 48];
      if (node?.zone !== undefined) zone = node.zone;
    }
    return zone;
  }

  private offsetOf(zone: string, t: number): number {
    const quarter = Math.floor(t / QUARTER);
    const known = this.offsets.get(zone);
    if (known && known.quarter === quarter) return known.offset;
    const offset = utcOffset(zone, quarter * QUARTER);
    this.offsets.set(zone, { quarter, offset });
    return offset;
  }

  /** Is local time `t + offset` on an allowed day and inside the hours? */
  private openAtLocal(local: number): boolean {
    const dayIndex = Math.floor(local / DAY);
    // 1970-01-01 (day 0) was a Thursday, ISO weekday 4.
    const isoDay = ((((dayIndex + 3) % 7) + 7) % 7) + 1;
    const minute = Math.floor((local - dayIndex * DAY) / MINUTE);
    return this.dayOpen[isoDay] === true && this.minuteOpen[minute] === 1;
  }

  isOpenIn(zone: string, t: number): boolean {
    return this.openAtLocal(t + this.offsetOf(zone, t));
  }

  isOpen(t: number): boolean {
    return this.zones.some((z) => this.isOpenIn(z, t));
  }

  /**
   * When `isOpen` next changes after `now` (to the minute), or null if it never does within 8 days. Each zone's
   * offsets over the 8 days are found first (one per quarter hour only where they change: DST), then the minutes
   * are walked with arithmetic, so a 1-minute range is not stepped over.
   */
  nextChange(now: number): number | null {
    const start = Math.floor(now / MINUTE) * MINUTE;
    const end = start + 8 * DAY;
    const offsetsAt = this.zones.map((zone) => this.offsetTable(zone, start, end));
    const firstQuarter = Math.floor(start / QUARTER);
    const openAt = (t: number) => {
      const q = Math.floor(t / QUARTER) - firstQuarter;
      return offsetsAt.some((table) => this.openAtLocal(t + (table.length === 1 ? table[0]! : table[q]!)));
    };
    const state = openAt(start);
    for (let t = start + MINUTE; t <= end; t += MINUTE) if (openAt(t) !== state) return t;
    return null;
  }

  /** The zone's offsets per clock quarter hour from `start`'s to `end`'s, or one when it does not change. */
  private offsetTable(zone: string, start: number, end: number): number[] {
    const first = utcOffset(zone, start);
    let constant = true;
    for (let t = start + DAY; t <= end + DAY && constant; t += DAY) constant = utcOffset(zone, t) === first;
    if (constant) return [first];
    const table: number[] = [];
    for (let t = Math.floor(start / QUARTER) * QUARTER; t <= end; t += QUARTER)
      table.push(utcOffset(zone, t));
    return table;
  }
}

const compiled = new WeakMap<CallingWindow, CompiledWindow>();

export function compile(w: CallingWindow): CompiledWindow {
  let c = compiled.get(w);
  if (!c) compiled.set(w, (c = new CompiledWindow(w)));
  return c;
}
