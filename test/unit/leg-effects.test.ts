// The effect handlers one at a time, against a stand-in leg context: each is a small function of (leg, effect).
import t from 'tap';
import { FakeClock, type TimerHandle } from '../../src/core/clock.js';
import { Metrics } from '../../src/core/metrics.js';
import { effectHandlers, perform } from '../../src/calls/legs/effects/index.js';
import type { LegContext } from '../../src/calls/legs/effects/context.js';
import type { FlowEvent, LegInfo } from '../../src/calls/flows/types.js';
import type { RunnerDeps } from '../../src/calls/legs/types.js';
import type { Excluded } from '../../src/agents/registry.js';

const LEG: LegInfo = {
  uuid: 'leg-1',
  callId: 'call-1',
  role: 'customer',
  flow: 'direct',
  projectCode: 'P1',
  taskCode: 'T1',
  destinationNumber: '13900000001',
  callerIdNumber: '10086',
  answered: true,
  evaluation: false,
  gatewayCode: 'gw1',
  numberId: 7,
};

function stand(overrides: { agents?: Partial<RunnerDeps['agents']> } = {}) {
  const clock = new FakeClock();
  const metrics = new Metrics();
  const apis: string[] = [];
  const executes: { id: string; app: string; arg: string }[] = [];
  const pushed: FlowEvent[] = [];
  const followed: FlowEvent[] = [];
  const ctx: LegContext = {
    leg: LEG,
    deps: {
      clock,
      metrics,
      log: { warn: () => undefined, debug: () => undefined },
      agents: overrides.agents as RunnerDeps['agents'],
      publisher: { publish: () => 0 },
      services: {
        taskInfo: async () => undefined,
        agentDomain: (u) => `${u}.example`,
        recordPath: (id) => `/rec/${id}.wav`,
        outcomeOf: () => {
          throw new Error('no outcome in these tests');
        },
        storeOutcomes: async () => [],
      },
      settings: {} as RunnerDeps['settings'],
      proveLeg: () => ({ ok: true }) as ReturnType<RunnerDeps['proveLeg']>,
    },
    session: {
      api: async (command: string) => {
        apis.push(command);
        return { ok: true, value: '+OK' };
      },
    } as unknown as LegContext['session'],
    live: new Map(),
    held: new Map(),
    timers: new Map<string, TimerHandle>(),
    scratch: {},
    execute: (id, app) => void executes.push({ id, ...app }),
    push: (e) => void pushed.push(e),
    followUp: (e) => void followed.push(e),
  };
  return { ctx, clock, metrics, apis, executes, pushed, followed };
}

t.test('every effect kind has a handler', async (t) => {
  for (const [kind, handler] of Object.entries(effectHandlers)) t.type(handler, 'function', kind);
});

t.test('hold music that ends within a second is replaced by silence, and counted', async (t) => {
  const s = stand();
  perform(s.ctx, { kind: 'hold-music', id: 'm1' });
  s.clock.advance(400);
  perform(s.ctx, { kind: 'hold-music', id: 'm2' });
  s.clock.advance(5000);
  perform(s.ctx, { kind: 'hold-music', id: 'm3' });
  t.same(
    s.executes.map((e) => e.arg),
    ['${cc_hold_music}', 'silence_stream://-1', '${cc_hold_music}'],
  );
  t.equal(s.metrics.snapshot()['calls.hold_music_fallbacks'], 1);
});

t.test('a timer fires into the flow once; a cleared or replaced one never does', async (t) => {
  const s = stand();
  perform(s.ctx, { kind: 'set-timer', name: 'ring', ms: 1000 });
  perform(s.ctx, { kind: 'set-timer', name: 'ring', ms: 3000 });
  s.clock.advance(2000);
  t.same(s.pushed, [], 'the first timer was replaced');
  s.clock.advance(1000);
  t.same(s.pushed, [{ kind: 'timer', name: 'ring' }]);
  perform(s.ctx, { kind: 'set-timer', name: 'wait', ms: 500 });
  perform(s.ctx, { kind: 'clear-timer', name: 'wait' });
  s.clock.advance(1000);
  t.equal(s.pushed.length, 1, 'the cleared timer did not fire');
});

t.test('bridging to an agent sets continue_on_fail once, before the first bridge only', async (t) => {
  const s = stand();
  const agent = { username: '8001', domain: 'd' };
  perform(s.ctx, { kind: 'bridge-agent', id: 'b1', agent, ringSeconds: 20 });
  perform(s.ctx, { kind: 'bridge-agent', id: 'b2', agent, ringSeconds: 20 });
  t.same(s.apis, ['uuid_setvar leg-1 continue_on_fail true']);
  t.equal(s.executes.length, 2);
  t.match(s.executes[0].arg, /^\{.*cc_call_id=call-1.*\}user\/8001@d$/);
  t.match(s.executes[0].arg, /origination_caller_id_number=13900000001/);
});

t.test('find-agent hands the flow its answer in the same turn, never an off-hook holder', async (t) => {
  let excluded: Excluded | undefined;
  const s = stand({
    agents: {
      reserveLongestIdle: (_p: string, _c: string, exclude: Excluded) => {
        excluded = exclude;
        return { username: '8002' } as ReturnType<RunnerDeps['agents']['reserveLongestIdle']>;
      },
    },
  });
  s.ctx.held.set('8009', { uuid: 'held', projectCode: 'P1', signal: () => undefined });
  perform(s.ctx, { kind: 'find-agent', exclude: ['8001'] });
  t.same(
    ['8001', '8002', '8009'].filter((u) => excluded?.has(u)),
    ['8001', '8009'],
    "the flow's tried agents and the off-hook holders are skipped, no one else",
  );
  t.same(s.followed, [{ kind: 'agent', agent: { username: '8002', domain: '8002.example' } }]);
  t.same(s.pushed, [], 'not pushed behind other events');
});

t.test('record names the file on the channel, so the CDR has it after a crash', async (t) => {
  const s = stand();
  perform(s.ctx, { kind: 'record' });
  t.equal(s.ctx.scratch.recordFile, '/rec/call-1.wav');
  t.same(s.apis, ['uuid_setvar leg-1 cc_record_file /rec/call-1.wav']);
  t.same(s.executes[0], { id: 'record', app: 'record_session', arg: '/rec/call-1.wav' });
});
