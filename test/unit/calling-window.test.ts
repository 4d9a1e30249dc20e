import t from 'tap';
import { AppError } from '../../src/core/errors.js';
import {
  isOpen,
  isOpenIn,
  localTime,
  nextChange,
  parseCallingWindow,
  zoneOf,
  type CallingWindow,
} from '../../src/dialer/calling-window.js';

const window = (raw: object): CallingWindow => {
  const w = parseCallingWindow(raw);
  if (w instanceof AppError) throw w;
  return w;
};
// 2026-11-27 is a Friday. 01:30 UTC = 09:30 in Shanghai (UTC+8) = 20:30 Thursday in New York (UTC-5).
const FRI_0130_UTC = Date.UTC(2026, 10, 27, 1, 30);

t.test('local time in the task zone decides, with days and several ranges', async (t) => {
  t.same(localTime(FRI_0130_UTC, 'Asia/Shanghai'), { day: 5, minute: 9 * 60 + 30 });
  t.same(localTime(FRI_0130_UTC, 'America/New_York'), { day: 4, minute: 20 * 60 + 30 });
  const w = window({
    timeZone: 'Asia/Shanghai',
    days: [1, 2, 3, 4, 5],
    hours: [
      ['09:00', '12:00'],
      ['13:30', '20:00'],
    ],
  });
  t.ok(isOpen(w, FRI_0130_UTC), 'Friday 09:30 in Shanghai');
  t.notOk(isOpen(w, FRI_0130_UTC + 3 * 3600_000), '12:30: between the ranges');
  t.ok(isOpen(w, FRI_0130_UTC + 4 * 3600_000), '13:30: the second range');
  t.notOk(isOpen(w, FRI_0130_UTC + 24 * 3600_000), 'Saturday');
  t.notOk(
    isOpen(window({ timeZone: 'America/New_York', hours: [['09:00', '20:00']] }), FRI_0130_UTC),
    '20:30 in NY',
  );
});

t.test('nextChange finds the minute the window opens or closes, across days and DST', async (t) => {
  const w = window({ timeZone: 'Asia/Shanghai', days: [1, 2, 3, 4, 5], hours: [['09:00', '12:00']] });
  t.equal(nextChange(w, FRI_0130_UTC), Date.UTC(2026, 10, 27, 4, 0), 'closes at 12:00 local');
  t.equal(nextChange(w, Date.UTC(2026, 10, 27, 4, 0)), Date.UTC(2026, 10, 30, 1, 0), 'reopens Monday 09:00');
  // New York leaves DST on 2026-11-01: 09:00 local is 13:00 UTC before and 14:00 UTC after.
  const ny = window({ timeZone: 'America/New_York', hours: [['09:00', '17:00']] });
  t.equal(nextChange(ny, Date.UTC(2026, 9, 31, 22, 0)), Date.UTC(2026, 10, 1, 14, 0));
  t.equal(
    nextChange(window({ timeZone: 'UTC', hours: [['00:00', '24:00']] }), FRI_0130_UTC),
    null,
    'always open',
  );
});

t.test('per-number zones: the longest matching prefix wins', async (t) => {
  const w = window({
    timeZone: 'Asia/Shanghai',
    hours: [['09:00', '20:00']],
    prefixTimeZones: [
      { prefix: '1', timeZone: 'America/Chicago' },
      { prefix: '1212', timeZone: 'America/New_York' },
    ],
  });
  t.equal(zoneOf(w, '+12125550100'), 'America/New_York');
  t.equal(zoneOf(w, '13125550100'), 'America/Chicago');
  t.equal(zoneOf(w, '8613800000000'), 'Asia/Shanghai');
  t.ok(isOpenIn(w, zoneOf(w, '8613800000000'), FRI_0130_UTC));
  t.notOk(isOpenIn(w, zoneOf(w, '12125550100'), FRI_0130_UTC), '20:30 in New York');
  t.ok(isOpen(w, FRI_0130_UTC), 'the task is open while any of its zones is');
});

t.test('bad windows are refused with the field named', async (t) => {
  const bad: [unknown, RegExp][] = [
    ['{nope', /callingWindow must be JSON/],
    [{ hours: [['09:00', '10:00']] }, /callingWindow.timeZone/],
    [{ timeZone: 'Mars/Olympus', hours: [['09:00', '10:00']] }, /callingWindow.timeZone/],
    [{ timeZone: 'UTC', hours: [] }, /callingWindow.hours must be/],
    [{ timeZone: 'UTC', hours: [['10:00', '09:00']] }, /callingWindow.hours\[0\]/],
    [{ timeZone: 'UTC', hours: [['9:00', '10:00']] }, /callingWindow.hours\[0\]/],
    [{ timeZone: 'UTC', days: [0], hours: [['09:00', '10:00']] }, /callingWindow.days/],
    [
      { timeZone: 'UTC', hours: [['09:00', '10:00']], prefixTimeZones: [{ prefix: 'x', timeZone: 'UTC' }] },
      /prefixTimeZones\[0\].prefix/,
    ],
    [{ timeZone: 'UTC', hours: [['09:00', '10:00']], extra: 1 }, /callingWindow.extra is not a known field/],
  ];
  for (const [raw, msg] of bad) {
    const r = parseCallingWindow(raw);
    t.ok(r instanceof AppError && r.http === 400, JSON.stringify(raw));
    t.match((r as AppError).message, msg);
  }
});

t.test('sizes beyond what an operator needs are refused, naming the field (issue 17.9)', async (t) => {
  const zones = Intl.supportedValuesOf('timeZone');
  const hours = (n: number) => Array.from({ length: n }, () => ['09:00', '10:00']);
  const prefixes = (n: number, zoneCount = 1) =>
    Array.from({ length: n }, (_, i) => ({ prefix: String(1000 + i), timeZone: zones[i % zoneCount] }));
  const bad: [object, RegExp][] = [
    [
      { timeZone: 'UTC', days: Array(100_000).fill(1), hours: hours(1) },
      /callingWindow.days may list at most 7/,
    ],
    [{ timeZone: 'UTC', hours: hours(10_000) }, /callingWindow.hours may hold at most 24 ranges/],
    [
      { timeZone: 'UTC', hours: hours(1), prefixTimeZones: prefixes(40_000) },
      /callingWindow.prefixTimeZones may hold at most 2000 prefixes/,
    ],
    [
      { timeZone: 'UTC', hours: hours(1), prefixTimeZones: prefixes(100, 60) },
      /callingWindow.prefixTimeZones may use at most 40 time zones/,
    ],
  ];
  for (const [raw, msg] of bad) {
    const r = parseCallingWindow(raw);
    t.ok(r instanceof AppError && r.http === 400);
    t.match((r as AppError).message, msg);
  }
  t.notOk(
    parseCallingWindow({
      timeZone: 'UTC',
      days: [1, 2, 3, 4, 5, 6, 7],
      hours: hours(24),
      prefixTimeZones: prefixes(2000, 39),
    }) instanceof AppError,
    'the largest allowed window is accepted',
  );
});

/** The rules as first written, scanning everything: the lookups must answer exactly as these do. */
const reference = {
  isOpenIn: (w: CallingWindow, zone: string, now: number) => {
    const l = localTime(now, zone);
    return w.days.includes(l.day) && w.hours.some(([a, b]) => l.minute >= a && l.minute < b);
  },
  zoneOf: (w: CallingWindow, phone: string) => {
    const digits = phone.replace(/^\+/, '');
    const best = w.prefixTimeZones
      .filter((p) => digits.startsWith(p.prefix))
      .sort((a, b) => b.prefix.length - a.prefix.length)[0];
    return best?.timeZone ?? w.timeZone;
  },
};

t.test('the lookups answer as a full scan does, across zones, DST and one-minute ranges', async (t) => {
  const w = window({
    timeZone: 'Europe/London',
    days: [1, 3, 5, 7],
    hours: [
      ['00:00', '00:01'],
      ['08:59', '09:00'],
      ['13:30', '20:00'],
    ],
    prefixTimeZones: [
      { prefix: '1', timeZone: 'America/Chicago' },
      { prefix: '1212', timeZone: 'America/New_York' },
      { prefix: '12125', timeZone: 'America/Los_Angeles' },
      { prefix: '61', timeZone: 'Australia/Lord_Howe' },
      { prefix: '91', timeZone: 'Asia/Kolkata' },
      { prefix: '977', timeZone: 'Asia/Kathmandu' },
    ],
  });
  for (const phone of ['+12125550100', '12135550100', '1212', '121', '+6125550100', '9771', '44207', '', '+'])
    t.equal(zoneOf(w, phone), reference.zoneOf(w, phone), `zone of ${phone}`);
  // Every 7 minutes across two weeks that include Europe's and America's DST changes (2026-10-25, 2026-11-01).
  let mismatches = 0;
  const from = Date.UTC(2026, 9, 20);
  for (let now = from; now < from + 14 * 86_400_000; now += 7 * 60_000)
    for (const zone of [w.timeZone, ...w.prefixTimeZones.map((p) => p.timeZone)])
      if (isOpenIn(w, zone, now) !== reference.isOpenIn(w, zone, now)) mismatches++;
  t.equal(mismatches, 0, 'isOpenIn agrees with local time read from Intl');
  // nextChange against a minute-by-minute walk of the reference.
  const refOpen = (now: number) =>
    [w.timeZone, ...w.prefixTimeZones.map((p) => p.timeZone)].some((z) => reference.isOpenIn(w, z, now));
  for (const now of [from, Date.UTC(2026, 9, 24, 23, 58), Date.UTC(2026, 9, 31, 12, 0)]) {
    const start = Math.floor(now / 60_000) * 60_000;
    let expected: number | null = null;
    for (let m = start + 60_000; m <= start + 2 * 86_400_000; m += 60_000)
      if (refOpen(m) !== refOpen(start)) {
        expected = m;
        break;
      }
    t.equal(nextChange(w, now), expected, `next change after ${new Date(now).toISOString()}`);
  }
});
