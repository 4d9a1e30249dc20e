import t from 'tap';
import { adaptivePacer } from '../../../src/dialer/pacing/adaptive.js';
import type { AdaptivePacer } from '../../../src/dialer/pacing/adaptive.js';
import type { PacingSnapshot } from '../../../src/dialer/pacing/pacer.js';
import { createRng } from '../../../src/dialer/simulation/rng.js';

const snapshot = (over: Partial<PacingSnapshot> = {}): PacingSnapshot => ({
  now: 1_000_000,
  idleAgents: 10,
  staffedAgents: 10,
  ringingAttempts: 0,
  waitingCustomers: 0,
  rate: 1,
  capacity: 1000,
  ringingSince: [],
  busySince: [],
  ...over,
});

/** Teaches a pacer a campaign: `liveShare` of attempts answered live after ~15 s, calls keeping agents 130 s. */
function teach(p: AdaptivePacer, liveShare: number, attempts = 2000): void {
  const rng = createRng(5);
  for (let i = 0; i < attempts; i++) {
    const live = rng.next() < liveShare;
    p.observe({
      kind: 'attempt-ended',
      at: i,
      answered: live,
      ringMs: live ? 8000 + rng.next() * 14_000 : 30_000,
    });
    if (live)
      p.observe({ kind: 'agent-freed', at: i, talkMs: 60_000 + rng.next() * 120_000, wrapMs: 10_000 });
  }
}

t.test('with nobody staffed or no capacity, nothing is dialled', (t) => {
  const p = adaptivePacer();
  t.equal(p.decide(snapshot({ idleAgents: 0, staffedAgents: 0 })), 0);
  t.equal(p.decide(snapshot({ capacity: 0 })), 0);
  t.equal(p.decide(snapshot({ capacity: 0.5 })), 0);
  t.end();
});

t.test('a fresh pacer is cautious: fewer attempts than a rate of 2 would launch for the idle agents', (t) => {
  const p = adaptivePacer();
  const n = p.decide(snapshot());
  t.ok(n >= 5 && n <= 20, `10 idle agents, nothing known: ${n} attempts`);
  t.equal(
    p.decide(snapshot({ idleAgents: 1, staffedAgents: 1 })) >= 1,
    true,
    'an idle agent always gets a call',
  );
  t.end();
});

t.test('having learnt a 10% live-answer rate it dials far more per idle agent than for 50%', (t) => {
  const low = adaptivePacer();
  teach(low, 0.1);
  const high = adaptivePacer();
  teach(high, 0.5);
  const nLow = low.decide(snapshot());
  const nHigh = high.decide(snapshot());
  t.ok(nLow > 3 * nHigh, `10%: ${nLow}, 50%: ${nHigh}`);
  t.ok(Math.abs(low.state().liveAnswerRate - 0.1) < 0.03);
  t.ok(nHigh <= 20, 'at 50% it does not promise more answers than twice the idle agents');
  t.end();
});

t.test('it dials ahead for busy agents about to free up, and less for ones who just started', (t) => {
  const p = adaptivePacer();
  teach(p, 0.3);
  const now = 1_000_000;
  const nearlyDone = p.decide(
    snapshot({ idleAgents: 0, busySince: Array.from({ length: 10 }, () => now - 170_000) }),
  );
  const justStarted = p.decide(
    snapshot({ idleAgents: 0, busySince: Array.from({ length: 10 }, () => now - 1000) }),
  );
  t.ok(nearlyDone > justStarted, `nearly done: ${nearlyDone}, just started: ${justStarted}`);
  t.equal(justStarted, 0);
  t.end();
});

t.test('attempts already ringing and customers waiting count against the idle agents', (t) => {
  const p = adaptivePacer();
  teach(p, 0.3);
  const free = p.decide(snapshot());
  const ringing = p.decide(
    snapshot({ ringingAttempts: 20, ringingSince: Array.from({ length: 20 }, () => 999_000) }),
  );
  const old = p.decide(
    snapshot({ ringingAttempts: 20, ringingSince: Array.from({ length: 20 }, () => 975_000) }),
  );
  const waiting = p.decide(snapshot({ waitingCustomers: 10 }));
  t.ok(ringing < free, `${ringing} < ${free}`);
  t.ok(old > ringing, 'attempts ringing for 25 s are unlikely to be answered any more');
  t.equal(waiting, 0);
  const countOnly = p.decide(snapshot({ ringingAttempts: 20, ringingSince: undefined }));
  const justLaunched = p.decide(
    snapshot({ ringingAttempts: 20, ringingSince: Array.from({ length: 20 }, () => 1e6) }),
  );
  t.equal(countOnly, justLaunched, 'without ages, ringing attempts are taken as just launched');
  t.end();
});

t.test('abandons make it more cautious, connects bolder', (t) => {
  const p = adaptivePacer();
  teach(p, 0.3);
  const before = p.state().risk;
  const n0 = p.decide(snapshot({ idleAgents: 2 }));
  for (let i = 0; i < 30; i++) p.observe({ kind: 'abandoned', at: i, waitMs: 2000 });
  t.ok(p.state().risk < before);
  t.ok(p.decide(snapshot({ idleAgents: 2 })) <= n0);
  t.equal(p.state().abandoned, 30);
  t.equal(p.state().windowAbandonRate, 1);
  for (let i = 0; i < 5000; i++) p.observe({ kind: 'connected', at: i, waitMs: 0 });
  t.ok(p.state().risk > before);
  t.ok(p.state().windowAbandonRate < 0.01);
  t.equal(p.state().liveAnswers, 5030);
  t.end();
});

t.test('whatever the snapshot, it never returns more than the capacity or a fraction', (t) => {
  const p = adaptivePacer();
  teach(p, 0.05);
  const rng = createRng(11);
  for (let i = 0; i < 300; i++) {
    const staffed = Math.floor(rng.next() * 50);
    const idle = Math.floor(rng.next() * (staffed + 1));
    const ringing = Math.floor(rng.next() * 40);
    const capacity = Math.floor(rng.next() * 30);
    const n = p.decide(
      snapshot({
        idleAgents: idle,
        staffedAgents: staffed,
        ringingAttempts: ringing,
        capacity,
        ringingSince: Array.from({ length: ringing }, () => 1_000_000 - rng.next() * 30_000),
        busySince: Array.from({ length: staffed - idle }, () => 1_000_000 - rng.next() * 300_000),
      }),
    );
    if (!(Number.isInteger(n) && n >= 0 && n <= capacity))
      t.fail(`decide gave ${n} for capacity ${capacity}`);
  }
  t.pass('300 random snapshots within capacity');
  t.end();
});
