import t from 'tap';
import { agentFirstFlow, type AgentFirstState } from '../../src/calls/flows/agent-first.js';
import type { FlowEvent, LegInfo } from '../../src/calls/flows/types.js';
import { classifyCall } from '../../src/switch/results.js';

const leg: LegInfo = {
  uuid: 'agent-leg',
  callId: 'call-1',
  role: 'agent',
  flow: 'agent-first',
  projectCode: 'p',
  taskCode: 't',
  destinationNumber: '13900000001',
  callerIdNumber: '13900000001',
  answered: true,
  evaluation: false,
  gatewayCode: 'gw',
  numberId: 7,
  agent: '1000',
  customerDial: 'sofia/gateway/gw/013900000001',
};
const flow = agentFirstFlow({ customerRingSeconds: 30 });

function run(events: FlowEvent[], info: LegInfo = leg) {
  let step = flow.start(info, 0);
  const effects = [step.effects.map((e) => e.kind)];
  let now = 0;
  for (const e of events) {
    step = flow.on(step.state, e, (now += 1000));
    effects.push(step.effects.map((x) => x.kind));
  }
  return { state: step.state as AgentFirstState, effects, facts: flow.facts(step.state) };
}

const resultOf = (facts: ReturnType<typeof flow.facts>) =>
  classifyCall({
    answered: facts.customer?.answered ?? false,
    hangupCause: facts.customer?.hangupCause ?? '',
    flow: facts,
  });

const bridgeFailed = (cause: string): FlowEvent => ({
  kind: 'executed',
  id: 'bridge',
  ok: true,
  response: '',
  cause,
});
const hangup: FlowEvent = { kind: 'hangup', cause: 'NORMAL_CLEARING' };

t.test('the answered agent leg records and bridges to the customer at once', async (t) => {
  const { effects } = run([]);
  t.same(effects[0], ['record', 'publish', 'bridge-customer']);
});

t.test('event → effects → result, row by row', async (t) => {
  const rows: { story: string; events: FlowEvent[]; effects: string[][]; result: [number, number] }[] = [
    {
      story: 'the customer answers, then hangs up: success 55, the agent is done',
      events: [{ kind: 'bridged' }, bridgeFailed('NORMAL_CLEARING'), hangup],
      effects: [['agent-connected'], ['agent-done', 'publish', 'hangup'], []],
      result: [10, 55],
    },
    {
      story: 'the customer answers, the agent hangs up: success 50',
      events: [{ kind: 'bridged' }, hangup],
      effects: [['agent-connected'], ['agent-done', 'publish']],
      result: [10, 50],
    },
    {
      story: 'the customer is busy: fail 20, the agent is released and its leg hung up',
      events: [bridgeFailed('USER_BUSY'), hangup],
      effects: [['release-agent', 'publish', 'hangup'], []],
      result: [20, 20],
    },
    {
      story: 'the customer does not answer: fail 25',
      events: [bridgeFailed('NO_ANSWER'), hangup],
      effects: [['release-agent', 'publish', 'hangup'], []],
      result: [20, 25],
    },
    {
      story: 'an empty number: fail 1',
      events: [bridgeFailed('UNALLOCATED_NUMBER'), hangup],
      effects: [['release-agent', 'publish', 'hangup'], []],
      result: [20, 1],
    },
    {
      story: 'the agent gives up while the customer rings: fail 25 (we cancelled)',
      events: [hangup],
      effects: [['release-agent', 'publish']],
      result: [20, 25],
    },
    {
      story: 'the agent hangs up and the bridge execute fails with the leg gone before the hangup event',
      events: [
        { kind: 'bridged' },
        { kind: 'executed', id: 'bridge', ok: false, response: '', cause: 'hangup' },
        hangup,
      ],
      effects: [['agent-connected'], ['agent-done', 'publish'], []],
      result: [10, 50],
    },
  ];
  for (const row of rows) {
    const { effects, facts, state } = run(row.events);
    t.same(effects.slice(1), row.effects, row.story);
    const r = resultOf(facts);
    t.same([r.result, r.resultDetail], row.result, `${row.story} (${r.rule})`);
    t.equal(state.phase, 'ended');
  }
});

t.test('the customer’s answer time is when the bridge came up (billing)', async (t) => {
  const { facts } = run([{ kind: 'bridged' }, hangup]);
  t.match(facts.customer, { answered: true, answeredAt: 1000 });
});

t.test('a leg without a customer to dial is hung up and its agent released', async (t) => {
  const { effects, facts } = run([hangup], { ...leg, customerDial: undefined });
  t.same(effects[0], ['release-agent', 'hangup']);
  t.equal(facts.customer?.hangupCause, 'NO_ROUTE_DESTINATION');
});
