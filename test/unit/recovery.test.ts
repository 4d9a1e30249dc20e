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
  "after a (re)connect, every unknown leg makes its agent busy at once; an off-hook agent's held leg that our flow runs a moment later frees it again",
  async (t) => {
    const clock = new FakeClock();
    const applied: [string, string, string][] = [];
    const held = new Set<string>();
    const recovery = callRecovery({
      agents: {
        all: () => ['1000', '1001'].map((username) => ({ username, nodeId: 1 })),
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
      knowsLeg: () => false,
      isHeldLeg: (uuid) => held.has(uuid),
      dialerDials: () => false,
    });
    const leg = (uuid: string, ext: string) => ({
      uuid,
      name: `sofia/internal/${ext}@127.0.0.1`,
      presence_id: `${ext}@127.0.0.1`,
    });
    recovery.channels(1, [leg('old-1001', '1001'), leg('held-1000', '1000')]);
    t.same(
      applied,
      [
        ['1001', 'connected', 'old-1001'],
        ['1000', 'connected', 'held-1000'],
      ],
      'both agents are busy at once: the dialer, which starts at once, offers them nothing',
    );
    held.add('held-1000');
    clock.advance(UNKNOWN_LEG_GRACE_MS);
    t.same(applied.slice(2), [['1000', 'call-ended', 'held-1000']], 'the off-hook agent is free again');
    recovery.onNodeEvent({ name: 'CHANNEL_HANGUP_COMPLETE', headers: { 'Unique-ID': 'held-1000' } });
    t.equal(applied.length, 3, 'and its held leg is no call of ours to end');
    recovery.onNodeEvent({ name: 'CHANNEL_HANGUP_COMPLETE', headers: { 'Unique-ID': 'old-1001' } });
    t.same(applied.at(-1), ['1001', 'call-ended', 'old-1001'], 'the end of the old call frees its agent');
  },
);
