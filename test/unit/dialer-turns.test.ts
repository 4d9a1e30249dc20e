// The dialler's and the outcome queue's work sliced across turns of the event loop (issue 21): a tick that launches
// more customers than fit in one turn, and a burst of outcomes larger than one turn's share, are still done whole and
// in order, with other work (the legs' I/O) let in between.
import t from 'tap';
import { AttemptBook, type Task } from '../../src/dialer/attempts.js';
import { CustomerCalls, ORIGINATES_PER_TURN } from '../../src/dialer/customer-calls.js';
import type { DispensedNumber } from '../../src/dialer/number-source.js';
import { GATHER_MS, OUTCOMES_PER_TURN, OutcomeQueue } from '../../src/calls/outcomes.js';
import type { CallOutcome } from '../../src/db/repos/call-outcomes.js';
import type { Gateway } from '../../src/db/repos/gateways.js';
import { ScheduleType } from '../../src/core/codes.js';

/** Counts turns of the event loop: each one runs an immediate that sets the next, until stopped. */
function turnCounter(): { readonly turn: number; stop(): void } {
  let turn = 0;
  let timer: NodeJS.Immediate = setImmediate(function next() {
    turn++;
    timer = setImmediate(next);
  });
  return {
    get turn() {
      return turn;
    },
    stop: () => clearImmediate(timer),
  };
}

/** How many items fell in each turn, in the order of the turns. */
const perTurn = (turns: number[]) => [...new Set(turns)].map((x) => turns.filter((y) => y === x).length);

const task = {
  id: 7,
  projectId: 1,
  callTaskCode: 'T7',
  scheduleType: ScheduleType.playOnly,
  rate: 1,
} as Task;
const gateway = { id: 3, gwCode: 'gw', registerType: 1 } as Gateway;

function customerCalls(numbers: DispensedNumber[], running: () => boolean) {
  const turns = turnCounter();
  const originated: { id: string; turn: number }[] = [];
  const givenBack: number[] = [];
  const calls = new CustomerCalls({
    repos: {} as never,
    log: { warn: () => undefined },
    clock: { now: () => 1000, setTimer: () => ({ cancel: () => undefined }) } as never,
    metrics: { inc: () => undefined } as never,
    // Never answered here: what matters is when each originate leaves.
    nodes: { bgapi: () => new Promise(() => undefined) } as never,
    gatewayUsage: { inUse: () => 0, acquire: () => undefined, release: () => undefined } as never,
    numbers: {
      dispense: async (_task: number, n: number) => numbers.slice(0, n),
      markCall: async () => undefined,
      giveBack: async (id: number) => void givenBack.push(id),
    } as never,
    book: new AttemptBook(),
    capacity: { originated: () => undefined } as never,
    pacers: {} as never,
    socket: () => ({ host: '127.0.0.1', port: 8040 }),
    socketLegs: {
      originating: (_node: number, _callId: string, leg: { numberId?: number }) => {
        originated.push({ id: String(leg.numberId), turn: turns.turn });
        return {};
      },
      failed: () => undefined,
    } as never,
    waitingCustomers: () => 0,
    running,
  });
  const turn = {
    task,
    projectCode: 'P',
    nodeId: 1,
    flow: 'play',
    rooms: [{ gateway, room: numbers.length }],
    capacity: numbers.length,
    agents: [],
    idle: [],
  };
  return { calls, turn, turns, originated, givenBack };
}

const numbersOf = (n: number): DispensedNumber[] =>
  Array.from({ length: n }, (_, i) => ({ id: 100 + i, phone: `1380000${String(i).padStart(4, '0')}` }));

t.test(
  'a tick that launches more customers than a turn holds launches them all, in order, a turn at a time',
  async (t) => {
    const numbers = numbersOf(2 * ORIGINATES_PER_TURN + 5);
    const { calls, turn, turns, originated, givenBack } = customerCalls(numbers, () => true);
    t.teardown(() => turns.stop());
    await calls.dial(turn, 1000);
    t.same(
      originated.map((o) => o.id),
      numbers.map((n) => String(n.id)),
      'every dispensed number is originated once, in the order it was dispensed',
    );
    t.same(
      perTurn(originated.map((o) => o.turn)),
      [ORIGINATES_PER_TURN, ORIGINATES_PER_TURN, 5],
      'no turn originates more than its share; other work runs in between',
    );
    t.same(givenBack, []);
  },
);

t.test('stopped between turns of a tick, the numbers not yet rung go back to pending', async (t) => {
  const numbers = numbersOf(2 * ORIGINATES_PER_TURN + 5);
  let running = true;
  const { calls, turn, turns, originated, givenBack } = customerCalls(numbers, () => running);
  t.teardown(() => turns.stop());
  const dialling = calls.dial(turn, 1000);
  // The dispense resolves in microtasks, so the first turn's share has left before the dialler is stopped.
  await new Promise((r) => process.nextTick(r));
  await Promise.resolve();
  running = false;
  await dialling;
  t.equal(originated.length, ORIGINATES_PER_TURN, 'only the first turn was dialled');
  t.same(
    givenBack,
    numbers.slice(ORIGINATES_PER_TURN).map((n) => n.id),
    'the rest were given back, none left dialing',
  );
});

const outcome = (callId: string) => ({ callId }) as CallOutcome;

t.test('a burst of outcomes larger than one turn is stored whole, in order, a turn at a time', async (t) => {
  const turns = turnCounter();
  t.teardown(() => turns.stop());
  const batches: { ids: string[]; turn: number }[] = [];
  const queue = new OutcomeQueue(
    {
      store: async (records) => {
        batches.push({ ids: records.map((r) => r.callId), turn: turns.turn });
        // The second batch has one outcome the store refuses: only it is not told as stored.
        return records.some((r) => r.callId === 'c12') ? [{ callId: 'c12', err: new Error('refused') }] : [];
      },
    },
    () => undefined,
  );
  const n = 2 * OUTCOMES_PER_TURN + 3;
  const stored: string[] = [];
  const settled: Promise<void>[] = [];
  for (let i = 0; i < n; i++)
    settled.push(new Promise((then) => queue.add(outcome(`c${i}`), () => stored.push(`c${i}`), then)));
  await Promise.all(settled);
  t.same(
    batches.map((b) => b.ids.length),
    [OUTCOMES_PER_TURN, OUTCOMES_PER_TURN, 3],
  );
  t.equal(new Set(batches.map((b) => b.turn)).size, 3, 'each batch in its own turn');
  t.same(
    batches.flatMap((b) => b.ids),
    Array.from({ length: n }, (_, i) => `c${i}`),
    'every outcome written once, in the order queued',
  );
  t.same(
    stored,
    Array.from({ length: n }, (_, i) => `c${i}`).filter((id) => id !== 'c12'),
  );
  t.equal(queue.size, 0);
});

t.test('a flush (a clean stop) writes every queued outcome at once, past the per-turn share', async (t) => {
  const batches: string[][] = [];
  const queue = new OutcomeQueue(
    { store: async (records) => (batches.push(records.map((r) => r.callId)), []) },
    () => undefined,
  );
  const n = 3 * OUTCOMES_PER_TURN;
  const stored: string[] = [];
  for (let i = 0; i < n; i++)
    queue.add(
      outcome(`c${i}`),
      () => stored.push(`c${i}`),
      () => undefined,
    );
  await queue.flush();
  t.equal(stored.length, n, 'all stored before flush resolves');
  t.same(
    batches.map((b) => b.length),
    [n],
    'in one transaction',
  );
  await new Promise((r) => setImmediate(r));
  t.equal(batches.length, 1, 'nothing is written twice by the cancelled turn');
});

t.test(
  'outcomes that end a few turns apart share one transaction; a lone one waits GATHER_MS at most',
  async (t) => {
    const batches: { ids: string[]; at: number }[] = [];
    const queue = new OutcomeQueue(
      { store: async (records) => (batches.push({ ids: records.map((r) => r.callId), at: Date.now() }), []) },
      () => undefined,
    );
    const turn = () => new Promise((r) => setImmediate(r));
    const stored: string[] = [];
    const start = Date.now();
    const done = ['c0', 'c1', 'c2'].map(async (id, i) => {
      for (let k = 0; k < i; k++) await turn();
      await new Promise<void>((then) => queue.add(outcome(id), () => stored.push(id), then));
    });
    await Promise.all(done);
    t.same(
      batches.map((b) => b.ids),
      [['c0', 'c1', 'c2']],
      'one batch, not one per turn',
    );
    t.ok(batches[0]!.at - start >= GATHER_MS - 2, 'written once the first had waited its time');
    t.same(stored, ['c0', 'c1', 'c2']);

    // A full share is written at the next turn, without waiting.
    const before = batches.length;
    const full = Array.from({ length: OUTCOMES_PER_TURN }, (_, i) => outcome(`f${i}`));
    for (const o of full)
      queue.add(
        o,
        () => undefined,
        () => undefined,
      );
    // The turn's immediates run in order, before any timer: the batch is written in the first turn or not at all.
    await turn();
    t.equal(batches.length, before + 1, 'the full share is written at the next turn, without waiting');
  },
);
