import t from 'tap';
import { withAmd, type AmdPolicy } from '../../src/calls/flows/amd.js';
import { offHookCustomerFlow } from '../../src/calls/flows/off-hook.js';
import { playOnlyFlow } from '../../src/calls/flows/play-only.js';
import { toAgentFlow } from '../../src/calls/flows/to-agent.js';
import { defaultFlowSettings, type Flow, type FlowEvent, type LegInfo } from '../../src/calls/flows/types.js';

const leg: LegInfo = {
  uuid: 'u',
  callId: 'c',
  role: 'customer',
  flow: 'direct',
  projectCode: 'p',
  taskCode: 't',
  destinationNumber: '13100000001',
  callerIdNumber: '1',
  answered: true,
  evaluation: false,
  gatewayCode: 'gw',
  numberId: 1,
  voiceFile: '/voices/ad.wav',
};

const hangupPolicy: AmdPolicy = { machine: { kind: 'hangup' }, guardMs: 7000 };
const messagePolicy: AmdPolicy = { machine: { kind: 'message', file: '/voices/vm.wav' }, guardMs: 7000 };
const verdict = (v: 'human' | 'machine' | 'notsure', reason = 'r'): FlowEvent => ({
  kind: 'amd-verdict',
  verdict: v,
  reason,
  atMs: 1200,
});

function run<S>(inner: Flow<S>, policy: AmdPolicy, events: FlowEvent[]) {
  const flow = withAmd(inner, policy);
  let step = flow.start(leg, 0);
  const effects = [step.effects.map((e) => e.kind)];
  for (const e of events) {
    step = flow.on(step.state, e, 0);
    effects.push(step.effects.map((x) => x.kind));
  }
  return { effects, facts: flow.facts(step.state), done: flow.finished(step.state), last: step.effects };
}

t.test('the leg listens first: the task flow has not started while the customer is analysed', async (t) => {
  const { effects, done } = run(toAgentFlow(defaultFlowSettings), hangupPolicy, []);
  t.same(effects, [['amd-listen', 'set-timer']]);
  t.equal(done, false);
});

t.test(
  'a human goes on with the task flow at once (scheduleType 1: find an agent), the stream stopped',
  async (t) => {
    const inner = toAgentFlow(defaultFlowSettings);
    const direct = inner.start(leg, 0).effects.map((e) => e.kind);
    const { effects, facts } = run(inner, hangupPolicy, [verdict('human', 'after-greeting-silence')]);
    t.same(effects[1], ['clear-timer', 'amd-stop', 'amd-decided', ...direct]);
    t.same(facts.amd, { verdict: 'human', reason: 'after-greeting-silence', atMs: 1200 });
  },
);

t.test(
  '"not sure" is treated as a human, and so is a stream that never comes (the guard timer)',
  async (t) => {
    const inner = playOnlyFlow as Flow<unknown>;
    const first = inner.start(leg, 0).effects.map((e) => e.kind);
    t.same(run(inner, hangupPolicy, [verdict('notsure', 'too-long')]).effects[1], [
      'clear-timer',
      'amd-stop',
      'amd-decided',
      ...first,
    ]);
    const guarded = run(inner, hangupPolicy, [{ kind: 'timer', name: 'amd-guard' }]);
    t.same(guarded.effects[1], ['clear-timer', 'amd-stop', 'amd-decided', ...first]);
    t.same(guarded.facts.amd, { verdict: 'notsure', reason: 'no-audio', atMs: 0 });
  },
);

t.test('a machine with the hang-up action is hung up; the call log will say machine', async (t) => {
  const { effects, facts, done } = run(toAgentFlow(defaultFlowSettings), hangupPolicy, [
    verdict('machine', 'long-greeting'),
    { kind: 'hangup', cause: 'NORMAL_CLEARING' },
  ]);
  t.same(effects.slice(1), [
    ['clear-timer', 'amd-stop', 'amd-decided', 'hangup'],
    ['clear-timer', 'amd-stop'],
  ]);
  t.equal(facts.amd?.verdict, 'machine');
  t.equal(facts.agentConnected, false);
  t.equal(facts.waitingForAgent, false, 'a machine never waited for an agent: never an abandon');
  t.equal(facts.hungUpBy, 'system');
  t.equal(done, true);
});

t.test('a machine with a message: wait for the beep, play the voice file, then hang up', async (t) => {
  const { effects, last, facts } = run(toAgentFlow(defaultFlowSettings), messagePolicy, [
    verdict('machine', 'max-words'),
    { kind: 'amd-beep', reason: 'beep' },
  ]);
  t.same(effects.slice(1), [
    ['clear-timer', 'amd-decided', 'amd-wait-beep'],
    ['amd-stop', 'playback'],
  ]);
  t.same(last[1], { kind: 'playback', id: 'amd-message', file: '/voices/vm.wav' });
  t.equal(facts.amd?.reason, 'max-words');
  t.equal(facts.amd?.message, true, 'the call log will say the message was left');
  const after = run(toAgentFlow(defaultFlowSettings), messagePolicy, [
    verdict('machine'),
    { kind: 'amd-beep', reason: 'timeout' },
    { kind: 'executed', id: 'amd-message', ok: true, response: 'FILE PLAYED' },
  ]);
  t.same(after.effects[3], ['hangup']);
});

t.test('the customer hanging up during the analysis ends the leg (hung up by the customer)', async (t) => {
  const { facts, done } = run(toAgentFlow(defaultFlowSettings), hangupPolicy, [
    { kind: 'hangup', cause: 'NORMAL_CLEARING' },
  ]);
  t.equal(done, true);
  t.equal(facts.hungUpBy, 'customer');
  t.equal(facts.amd, undefined);
  t.equal(facts.waitingForAgent, true, 'a person who left before the verdict waited from the answer on');
});

t.test('a late detector event after the task flow started changes nothing', async (t) => {
  const { effects } = run(toAgentFlow(defaultFlowSettings), hangupPolicy, [
    verdict('human'),
    verdict('machine'),
    { kind: 'amd-beep', reason: 'beep' },
  ]);
  t.same(effects.slice(2), [[], []]);
});

t.test(
  'scheduleType 4: a person goes on to the off-hook flow (an agent holding a leg is sought)',
  async (t) => {
    const inner = offHookCustomerFlow(defaultFlowSettings);
    const offHook = { ...leg, flow: 'off-hook' };
    const first = inner.start(offHook, 0).effects.map((e) => e.kind);
    const flow = withAmd(inner, hangupPolicy);
    const s = flow.start(offHook, 0);
    const next = flow.on(s.state, verdict('human', 'after-greeting-silence'), 0);
    t.same(
      next.effects.map((e) => e.kind),
      ['clear-timer', 'amd-stop', 'amd-decided', ...first],
    );
    t.ok(first.includes('find-held-agent'), 'the off-hook flow looks for a held leg');
  },
);
