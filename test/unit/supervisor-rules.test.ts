import t from 'tap';
import { defaultFlowSettings } from '../../src/calls/flows/types.js';
import { toAgentFlow, type ToAgentState } from '../../src/calls/flows/to-agent.js';
import type { LegInfo } from '../../src/calls/flows/types.js';
import { eavesdropVars } from '../../src/switch/fs-commands.js';
import {
  conferenceInvitees,
  eavesdropMode,
  inCallActor,
  listenerPhone,
  pmCallee,
  requireManager,
  type ExtSnapshot,
} from '../../src/supervisor/rules.js';

const ext = (username: string, type: number, state: Partial<ExtSnapshot['state']> = {}): ExtSnapshot => ({
  username,
  projectCode: 'p',
  type,
  state: { regStatus: 1, workStatus: 1, sessionStatus: 0, callId: null, reserved: false, ...state },
});
const team = [
  ext('1000', 2),
  ext('1001', 2, { sessionStatus: 10, callId: 'c1' }),
  ext('1002', 2, { regStatus: 0 }),
  ext('1003', 2, { workStatus: 0 }),
  ext('1004', 2, { reserved: true, callId: 'c2' }),
  ext('1005', 2, { workStatus: -1 }),
  ext('9000', 3),
];
const lookup = (u: string) => team.find((e) => e.username === u);
const manager = { username: '9000', projectCode: 'p', role: 'manager' };
const agent = { username: '1000', projectCode: 'p', role: 'agent' };

t.test('supervisor commands are for managers and the business system, never agents', async (t) => {
  t.match(requireManager(agent, '/app/eavesdrop'), { ok: false, reason: /for project managers/ });
  t.match(requireManager(manager, '/app/eavesdrop'), { ok: true });
  t.match(requireManager({ ...manager, role: 'service' }, '/app/eavesdrop'), { ok: true });
});

t.test('a conference calls online agents who are not on a call, and says why others were not', async (t) => {
  const r = conferenceInvitees(team);
  t.same(r.invite, ['1000', '1003'], 'idle agents, available or busy (置忙)');
  t.same(
    r.skipped.map((s) => s.username),
    ['1001', '1004', '1005'],
    'talking, being offered a customer, disabled; offline agents are simply not online',
  );
  t.match(r.skipped[0], { reason: /on a call/ });
});

t.test(
  "the listener's phone is the manager's own unless listenerExt names another manager phone",
  async (t) => {
    t.match(listenerPhone(manager, {}, lookup, 'p'), { ok: true, value: '9000' });
    t.match(listenerPhone(manager, { listenerExt: '1000' }, lookup, 'p'), {
      ok: false,
      reason: /not a manager/,
    });
    t.match(listenerPhone(manager, { listenerExt: '1002' }, lookup, 'q'), {
      ok: false,
      reason: /not in project q/,
    });
    t.match(listenerPhone({ ...manager, role: 'service' }, {}, lookup, 'p'), {
      ok: false,
      reason: /required/,
    });
  },
);

t.test('eavesdrop modes map to FreeSWITCH whisper variables on the agent leg', async (t) => {
  t.match(eavesdropMode({}), { ok: true, value: 'listen' });
  t.match(eavesdropMode({ whisper: true }), { ok: true, value: 'whisper' });
  t.match(eavesdropMode({ mode: 'barge' }), { ok: true, value: 'barge' });
  t.match(eavesdropMode({ mode: 'loud' }), { ok: false });
  t.same(eavesdropVars('listen'), {
    eavesdrop_enable_dtmf: 'true',
    eavesdrop_whisper_aleg: 'false',
    eavesdrop_whisper_bleg: 'false',
  });
  t.match(eavesdropVars('whisper'), { eavesdrop_whisper_aleg: 'false', eavesdrop_whisper_bleg: 'true' });
  t.match(eavesdropVars('barge'), { eavesdrop_whisper_aleg: 'true', eavesdrop_whisper_bleg: 'true' });
});

t.test('pmCallAgent takes the agent from telNo (as /app/call) or username', async (t) => {
  t.match(pmCallee({ username: '9000', telNo: '1000' }, lookup, 'p'), {
    ok: true,
    value: { username: '1000' },
  });
  t.match(pmCallee({ username: '1003' }, lookup, 'p'), { ok: true, value: { username: '1003' } });
  t.match(pmCallee({ telNo: '13800000000' }, lookup, 'p'), {
    ok: false,
    reason: /13800000000 is not an agent/,
  });
});

t.test('in-call actions belong to the agent on the call', async (t) => {
  t.match(inCallActor(agent, { username: '1000' }, '1000', '/app/transfer'), { ok: true, value: '1000' });
  t.match(inCallActor(agent, {}, '1001', '/app/transfer'), { ok: false, reason: /not yours/ });
  t.match(inCallActor(manager, { username: '1000' }, '1000', '/app/transfer'), {
    ok: false,
    reason: /only for the agent/,
  });
  t.match(inCallActor(agent, {}, undefined, '/app/transfer'), { ok: false, reason: /not connected/ });
});

t.test(
  'to-agent flow: a transfer while talking drops the agent leg and rings the reserved colleague',
  async (t) => {
    const flow = toAgentFlow(defaultFlowSettings);
    const leg = {
      uuid: 'cust',
      callId: 'call-1',
      role: 'customer',
      flow: 'direct',
      projectCode: 'p',
      taskCode: 't',
      destinationNumber: '138',
      callerIdNumber: '',
      answered: true,
      evaluation: false,
      gatewayCode: '',
      numberId: null,
    } satisfies LegInfo;
    const a = { username: '1000', domain: 'd' };
    const b = { username: '1003', domain: 'd' };
    let s = flow.start(leg, 0).state;
    s = flow.on(s, { kind: 'agent', agent: a }, 0).state;
    s = flow.on(s, { kind: 'bridged' }, 0).state;
    const transfer = { kind: 'transfer' as const, agent: b, from: '1000', agentLeg: 'leg-a' };
    const step = flow.on(s, transfer, 0);
    t.equal(step.state.phase, 'transferring');
    t.same(
      step.effects.map((e) => e.kind),
      ['agent-done', 'publish', 'kill-leg'],
    );
    t.match(step.effects[2], { uuid: 'leg-a' });
    const ring = flow.on(step.state, { kind: 'executed', id: 'bridge', ok: true, response: '' }, 0);
    t.match(ring.effects, [
      {
        kind: 'publish',
        destination: '/topic/transfer/1003',
        body: { callId: 'call-1', username: '1000', telNo: '138' },
      },
      { kind: 'bridge-agent', agent: b },
    ]);
    const talking = flow.on(ring.state, { kind: 'bridged' }, 0).state as ToAgentState;
    t.equal(flow.facts(talking).agent, '1003', 'the call log names the agent who took over');

    const notTalking = flow.on(flow.start(leg, 0).state, transfer, 0);
    t.same(
      notTalking.effects,
      [{ kind: 'release-agent', username: '1003' }],
      'refused: the reservation is given back',
    );
    const hungUp = flow.on(step.state, { kind: 'hangup', cause: 'NORMAL_CLEARING' }, 0);
    t.match(
      hungUp.effects,
      [{ kind: 'release-agent', username: '1003' }],
      'customer gone mid-transfer: released',
    );
  },
);
