// What a restart learns from FreeSWITCH's channel list (calls/recovery.ts): agents on live legs, and which
// leftover customer legs nobody is bridged to.
import t from 'tap';
import { callRecovery, planRecovery, UNKNOWN_LEG_GRACE_MS } from '../../src/calls/recovery.js';
import { FakeClock } from '../../src/core/clock.js';

const rows = [
  // A customer talking with agent 1000 (the agent leg shares the customer's call_uuid).
  { uuid: 'cust-1', call_uuid: 'cust-1', name: 'sofia/external/13600000001', cid_num: '0000000000' },
  {
    uuid: 'agent-1',
    call_uuid: 'cust-1',
    name: 'sofia/internal/1000-0x55@127.0.0.1:5200',
    presence_id: '1000@127.0.0.1',
    cid_num: '13600000001',
  },
  // A customer left waiting with hold music.
  { uuid: 'cust-2', call_uuid: 'cust-2', name: 'sofia/external/13600000002', cid_num: '0000000000' },
  // An internal call of agent 1001, known by its channel name only.
  { uuid: 'int-1', name: 'sofia/internal/1001@127.0.0.1', cid_num: '1001' },
];

t.test('agents with a live leg are busy; leftover customers nobody talks to are orphans', async (t) => {
  const plan = planRecovery(rows, new Set(['1000', '1001', '1002']), new Set(['cust-1', 'cust-2', 'gone']));
  t.same(
    plan.busyAgents.map((b) => [b.username, b.uuid]),
    [
      ['1000', 'agent-1'],
      ['1001', 'int-1'],
    ],
  );
  t.same(plan.orphans, ['cust-2'], 'the bridged customer stays; a call that is gone is no orphan');
  t.ok(plan.live.has('cust-1') && !plan.live.has('gone'));
});

t.test('extensions of other nodes or projects are left alone', async (t) => {
  const plan = planRecovery(rows, new Set(['2000']), new Set());
  t.same(plan.busyAgents, []);
});

t.test(
  'after a (re)connect, an unknown leg makes its agent busy at once when it is old, and a fresh one only if it stays unknown',
  async (t) => {
    const clock = new FakeClock();
    const applied: [string, string, string][] = [];
    const known = new Set<string>();
    const recovery = callRecovery({
      agents: {
        all: () => ['1000', '1001', '1002', '1003'].map((username) => ({ username, nodeId: 1 })),
        apply: (username, e) => {
          applied.push([username, e.kind, e.callId]);
          return { ok: true };
        },
      },
      numbers: { dialing: () => [], recoverAtStartup: () => ({ kept: [], closed: [] }) },
      nodes: { api: async () => '' },
      log: { warn: () => undefined },
      clock,
      activeNodes: () => [1],
      knowsLeg: (uuid) => known.has(uuid),
      dialerDials: () => false,
    });
    const leg = (uuid: string, ext: string, ageMs: number) => ({
      uuid,
      name: `sofia/internal/${ext}@127.0.0.1`,
      presence_id: `${ext}@127.0.0.1`,
      created_epoch: String(Math.floor((clock.now() - ageMs) / 1000)),
    });
    recovery.channels(1, [
      leg('old-1001', '1001', 60_000),
      leg('held-1000', '1000', 200),
      leg('gone-1002', '1002', 200),
      leg('new-1003', '1003', 200),
    ]);
    t.same(applied, [['1001', 'connected', 'old-1001']], 'a call the previous run left: busy at once');
    // Within the grace period 1000's fresh leg turns out to be an off-hook agent's held leg our flow now runs, and
    // 1002's ends; 1003's stays unknown.
    known.add('held-1000');
    recovery.onNodeEvent({ name: 'CHANNEL_HANGUP_COMPLETE', headers: { 'Unique-ID': 'gone-1002' } });
    clock.advance(UNKNOWN_LEG_GRACE_MS);
    t.same(
      applied.slice(1),
      [['1003', 'connected', 'new-1003']],
      'of the fresh legs, only the one still unknown makes its agent busy',
    );
    recovery.onNodeEvent({ name: 'CHANNEL_HANGUP_COMPLETE', headers: { 'Unique-ID': 'old-1001' } });
    t.same(applied.at(-1), ['1001', 'call-ended', 'old-1001'], 'and the end of a leg frees its agent');
  },
);
