// Issue 20: the lease rules as tables: the same view gives every instance the same answer, a grant's local deadline
// errs early, and an instance that is not live (or stopping) takes nothing.
import t from 'tap';
import {
  DEFAULT_LEASE_TIMINGS as T,
  checkTimings,
  grantOf,
  mayAct,
  planLeases,
  type LeaseRow,
  type LeaseView,
} from '../../../src/cluster/lease-rules.js';

const DB = 1_000_000_000;
const row = (projectCode: string, over: Partial<LeaseRow> = {}): LeaseRow => ({
  projectCode,
  owner: null,
  epoch: 0,
  expiresAt: DB,
  moveTo: null,
  ...over,
});
const view = (leases: LeaseRow[], live = ['a', 'b']): LeaseView => ({
  dbNow: DB,
  leases,
  instances: live.map((id) => ({ id, seenAt: DB - 1000, load: 0 })),
});
const none = new Map();

t.test('timings that would let a lease lapse before its renewal are refused', async (t) => {
  t.doesNotThrow(() => checkTimings(T));
  t.throws(() => checkTimings({ ...T, renewAfterMs: 8000 }), /renewed before its owner has to stop/);
  t.throws(() => checkTimings({ ...T, stopMarginMs: 0 }), /positive/);
});

t.test('a grant is counted from when its statement was sent, so a slow reply shortens it', async (t) => {
  // Sent at local 500; the database granted at its 10,000 until its 20,000 (10 s left).
  const g = grantOf('p', { epoch: 4, expiresAt: DB + 10_000, dbNow: DB }, 500, T);
  t.same(g, {
    projectCode: 'p',
    epoch: 4,
    actUntil: 500 + 10_000 - T.stopMarginMs,
    renewAt: 500 + T.renewAfterMs,
  });
  t.ok(mayAct(g, g.actUntil - 1));
  t.notOk(mayAct(g, g.actUntil), 'not at the deadline itself');
  t.notOk(mayAct(undefined, 0));
});

t.test(
  'every instance computes the same assignment from the same view: no project is taken twice',
  async (t) => {
    const v = view([
      row('p1'),
      row('p2'),
      row('p3'),
      row('p4', { owner: 'a', expiresAt: DB + 5000, epoch: 2 }),
    ]);
    const takes = (me: string) =>
      planLeases({ me, view: v, grants: none, localNow: 0, timings: T })
        .filter((x) => x.kind === 'take')
        .map((x) => x.projectCode);
    t.same(takes('b'), ['p1', 'p3'], 'b, with no project, gets two (p2 goes to a on the tie, by id)');
    t.same(takes('a'), ['p2'], 'a, already owning p4, gets one');
  },
);

t.test('an expired lease is an orphan; a released one goes at once, past the grace to anyone', async (t) => {
  const expired = row('p1', { owner: 'c', epoch: 7, expiresAt: DB - 1 });
  t.same(planLeases({ me: 'a', view: view([expired]), grants: none, localNow: 0, timings: T }), [
    { kind: 'take', projectCode: 'p1', fromEpoch: 7 },
  ]);
  const overdue = row('p1', { expiresAt: DB - T.takeoverGraceMs });
  t.same(
    planLeases({ me: 'b', view: view([overdue]), grants: none, localNow: 0, timings: T }),
    [{ kind: 'take', projectCode: 'p1', fromEpoch: 0 }],
    'b was not chosen, but a has not taken it within the grace',
  );
});

t.test('an instance that is not live, or stopping, takes nothing', async (t) => {
  t.same(planLeases({ me: 'a', view: view([row('p1')], ['b']), grants: none, localNow: 0, timings: T }), []);
  t.same(
    planLeases({ me: 'a', view: view([row('p1')]), grants: none, localNow: 0, timings: T, stopping: true }),
    [],
  );
});

t.test(
  'a held project: renewed when due, given up when lost or lapsed, drained then released when moving',
  async (t) => {
    const g = grantOf('p1', { epoch: 3, expiresAt: DB + T.ttlMs, dbNow: DB }, 0, T);
    const held = new Map([['p1', g]]);
    const mine = row('p1', { owner: 'a', epoch: 3, expiresAt: DB + T.ttlMs });
    const plan = (over: Partial<LeaseRow>, localNow: number, extra = {}) =>
      planLeases({
        me: 'a',
        view: view([{ ...mine, ...over }]),
        grants: held,
        localNow,
        timings: T,
        ...extra,
      });
    t.same(plan({}, 100), [], 'nothing to do early in the grant');
    t.same(plan({}, T.renewAfterMs), [{ kind: 'renew', projectCode: 'p1', epoch: 3 }]);
    t.same(plan({ owner: 'b', epoch: 4 }, 100), [
      { kind: 'stopDialling', projectCode: 'p1', epoch: 3, reason: 'lost' },
    ]);
    t.same(plan({}, g.actUntil), [
      { kind: 'stopDialling', projectCode: 'p1', epoch: 3, reason: 'expiring' },
      { kind: 'renew', projectCode: 'p1', epoch: 3 },
    ]);
    t.same(plan({ moveTo: 'b' }, 100), [{ kind: 'drain', projectCode: 'p1', epoch: 3, reason: 'moving' }]);
    t.same(plan({ moveTo: 'b' }, 100, { drained: new Set(['p1']) }), [
      { kind: 'release', projectCode: 'p1', epoch: 3 },
    ]);
    t.same(plan({ moveTo: 'gone' }, 100), [], 'a move to an instance that is not live waits');
  },
);
