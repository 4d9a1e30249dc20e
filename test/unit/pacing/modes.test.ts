import t from 'tap';
import { AppError } from '../../../src/core/errors.js';
import { createPacer, parsePacingMode } from '../../../src/dialer/pacing/modes.js';
import { clampToCapacity, fixedPacer } from '../../../src/dialer/pacing/pacer.js';
import type { PacingSnapshot } from '../../../src/dialer/pacing/pacer.js';

const snapshot = (over: Partial<PacingSnapshot> = {}): PacingSnapshot => ({
  now: 0,
  idleAgents: 4,
  staffedAgents: 10,
  ringingAttempts: 0,
  waitingCustomers: 0,
  rate: 1.5,
  capacity: 100,
  ...over,
});

t.test('the fixed mode dials floor(idle agents × rate) minus the attempts already ringing', (t) => {
  const p = fixedPacer();
  t.equal(p.mode, 'fixed');
  t.equal(p.decide(snapshot()), 6, '4 idle × 1.5');
  t.equal(p.decide(snapshot({ idleAgents: 3 })), 4, 'floor(4.5)');
  t.equal(p.decide(snapshot({ ringingAttempts: 5 })), 1);
  t.equal(p.decide(snapshot({ ringingAttempts: 9 })), 0, 'never negative');
  t.equal(p.decide(snapshot({ capacity: 2 })), 2, 'never above capacity');
  t.equal(p.decide(snapshot({ capacity: 0 })), 0);
  p.observe({ kind: 'abandoned', at: 0, waitMs: 2000 });
  t.equal(p.decide(snapshot()), 6, 'it learns nothing');
  t.end();
});

t.test('clampToCapacity floors and bounds to [0, capacity]', (t) => {
  t.equal(clampToCapacity(3.7, 10), 3);
  t.equal(clampToCapacity(-2, 10), 0);
  t.equal(clampToCapacity(12, 7.9), 7);
  t.end();
});

t.test('the pacing parameter: absent means fixed, known modes in any case, anything else is invalid', (t) => {
  t.equal(parsePacingMode(undefined), 'fixed');
  t.equal(parsePacingMode(''), 'fixed');
  t.equal(parsePacingMode(null), 'fixed');
  t.equal(parsePacingMode('fixed'), 'fixed');
  t.equal(parsePacingMode(' Adaptive '), 'adaptive');
  for (const bad of ['turbo', 3, {}, true]) {
    const r = parsePacingMode(bad);
    t.ok(r instanceof AppError, `${JSON.stringify(bad)} is rejected`);
    if (r instanceof AppError) {
      t.equal(r.kind, 'invalid');
      t.match(r.message, /pacing/);
    }
  }
  t.end();
});

t.test('createPacer builds a fresh pacer of the chosen mode', (t) => {
  t.equal(createPacer('fixed').mode, 'fixed');
  const a = createPacer('adaptive');
  const b = createPacer('adaptive', { adaptive: { targetAbandonRate: 0.01 } });
  t.equal(a.mode, 'adaptive');
  t.not(a, b);
  t.end();
});
