import t from 'tap';
import { heldLegFlow, offHookCustomerFlow } from '../../src/calls/flows/off-hook.js';
import type { Flow, FlowEvent, LegInfo } from '../../src/calls/flows/types.js';
import { classifyCall } from '../../src/switch/results.js';

const base: LegInfo = {
  uuid: 'u',
  callId: 'c',
  role: 'agent',
  flow: 'fifo',
  projectCode: 'p',
  taskCode: '',
  destinationNumber: 'fifop',
  callerIdNumber: '1000',
  answered: false,
  evaluation: false,
  gatewayCode: '',
  numberId: null,
};

function run<S>(flow: Flow<S>, leg: LegInfo, events: FlowEvent[]) {
  let step = flow.start(leg, 0);
  const effects = [step.effects.map((e) => e.kind)];
  for (const e of events) {
    step = flow.on(step.state, e, 0);
    effects.push(step.effects.map((x) => x.kind));
  }
  return { state: step.state, effects, facts: flow.facts(step.state), done: flow.finished(step.state) };
}

const moh: FlowEvent = { kind: 'executed', id: 'moh', ok: true, response: 'FILE PLAYED' };
const hangup: FlowEvent = { kind: 'hangup', cause: 'NORMAL_CLEARING' };

t.test('the held leg: answered, parked after bridges, offered; music between customers', async (t) => {
  const { effects, facts, done } = run(heldLegFlow(), base, [
    { kind: 'held', ok: true },
    moh,
    { kind: 'seized', callId: 'c1' },
    moh,
    { kind: 'unbridged' },
    hangup,
  ]);
  t.same(effects, [
    ['answer', 'set-var', 'offer-held-leg'],
    ['set-work', 'hold-music'],
    ['hold-music'],
    [],
    [],
    ['hold-music'],
    ['withdraw-held-leg', 'set-work'],
  ]);
  t.equal(done, true);
  t.equal(facts.isCustomerCall, false, 'no call log for the agent’s own leg');
});

t.test('a held leg the runner refuses (another project) is hung up and nothing is withdrawn', async (t) => {
  const { effects } = run(heldLegFlow(), base, [{ kind: 'held', ok: false, reason: 'x' }, hangup]);
  t.same(effects.slice(1), [['hangup'], []]);
});

const customer: LegInfo = {
  ...base,
  role: 'customer',
  flow: 'off-hook',
  callId: 'c1',
  uuid: 'c1',
  answered: true,
};
const flow = offHookCustomerFlow({ agentWaitMs: 1000, maxAgentAttempts: 2 });
const held = (username: string): FlowEvent => ({
  kind: 'held-agent',
  agent: { username, leg: `leg-${username}` },
});
const result = (facts: ReturnType<typeof flow.facts>, answered = true, disposition?: string) => {
  const r = classifyCall({
    answered,
    hangupCause: 'NORMAL_CLEARING',
    hangupDisposition: disposition,
    flow: facts,
  });
  return [r.result, r.resultDetail];
};

t.test('customer legs, event → effects → result', async (t) => {
  const talk = run(flow, customer, [held('1000'), { kind: 'bridged' }, hangup]);
  t.same(talk.effects, [
    ['record', 'find-held-agent'],
    ['bridge-held'],
    ['agent-connected', 'publish'],
    ['agent-done', 'publish'],
  ]);
  t.same(result(talk.facts, true, 'recv_bye'), [10, 55], 'the customer hung up: 55');
  t.same(result(talk.facts, true, 'send_bye'), [10, 50], 'the agent hung up (its leg took ours down): 50');

  const wait = run(flow, customer, [
    { kind: 'held-agent', agent: null },
    { kind: 'agent-available' },
    held('1001'),
    { kind: 'bridged' },
  ]);
  t.same(wait.effects.slice(1), [
    ['wait-for-agent', 'set-timer', 'hold-music'],
    ['find-held-agent'],
    ['stop-waiting', 'clear-timer', 'stop-media', 'bridge-held'],
    ['agent-connected', 'publish'],
  ]);

  const timeout = run(flow, customer, [
    { kind: 'held-agent', agent: null },
    { kind: 'timer', name: 'queue' },
    hangup,
  ]);
  t.same(timeout.effects.slice(2), [['stop-waiting', 'stop-media', 'hangup'], []]);
  t.same(result(timeout.facts), [30, 35], 'nobody held a leg: 35');

  const left = run(flow, customer, [{ kind: 'held-agent', agent: null }, hangup]);
  t.same(left.effects.slice(2), [['stop-waiting']]);
  t.same(result(left.facts, true, 'recv_bye'), [30, 28], 'the customer gave up waiting: 28');

  const refused: FlowEvent = { kind: 'executed', id: 'bridge', ok: false, response: '', cause: '-ERR' };
  const gone = run(flow, customer, [held('1000'), refused, held('1001'), refused, hangup]);
  t.same(gone.effects.slice(1), [
    ['bridge-held'],
    ['release-agent', 'find-held-agent'],
    ['bridge-held'],
    ['release-agent', 'hangup'],
    [],
  ]);
  t.same(result(gone.facts), [30, 30], 'held legs vanished twice: agent busy (30)');
});
