// What a restart learns from FreeSWITCH's channel list (calls/recovery.ts): agents on live legs, and which
// leftover customer legs nobody is bridged to.
import t from 'tap';
import {
  callRecovery,
  planRecovery,
  UNKNOWN_LEG_GRACE_MS,
  type ChannelRow,
} from '../../src/calls/recovery.js';
import { FakeClock } from '../../src/core/clock.js';
import { parseChannelRows } from '../../src/switch/fs-commands.js';
import { liveCapturesDir, readCapture } from '../support/captures.js';

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
      numbers: { dialing: async () => [], recoverAtStartup: async () => ({ kept: [], closed: [] }) },
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
    await recovery.channels(1, [leg('old-1001', '1001'), leg('held-1000', '1000')]);
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

t.test(
  "what a restarted server reads in the real FreeSWITCH's `show channels as json` (live capture after a kill -9)",
  async (t) => {
    const capture = readCapture('inbound-restart-after-kill9-show-channels.txt', liveCapturesDir);
    const asked = capture.records.findIndex(
      (r) => r.kind === 'send' && r.bytes.toString().startsWith('api show channels as json'),
    );
    // Replies come in the order of the requests; this one is the JSON listing.
    const reply = capture.records
      .slice(asked + 1)
      .find((r) => r.kind === 'recv' && r.bytes.toString().includes('"row_count"'));
    t.ok(asked >= 0 && reply && 'bytes' in reply, 'the capture holds the request and its reply');
    const text = reply && 'bytes' in reply ? reply.bytes.toString('utf8') : '';
    const live = parseChannelRows(text.slice(text.indexOf('\n\n') + 2)) as unknown as ChannelRow[];
    t.equal(live.length, 4, 'two customers, each bridged to an agent');
    const customers = live.filter((r) => r.name?.startsWith('sofia/external/')).map((r) => r.uuid);
    const plan = planRecovery(live, new Set(['1000', '1001']), new Set(customers));
    t.same(
      plan.busyAgents.map((b) => [b.username, b.number]).sort(),
      [
        ['1000', '13600000100'],
        ['1001', '13600000101'],
      ],
      'both agents are found busy, with the customer each talks to',
    );
    t.same(plan.orphans, [], 'no customer is taken for an orphan: each shares its call_uuid with its agent');
  },
);
