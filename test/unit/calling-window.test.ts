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
