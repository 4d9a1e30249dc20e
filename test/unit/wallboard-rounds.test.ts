// The wallboard's sampling rounds (src/supervisor/wallboard.ts) run one after another: the timer's round, slow on a
// loaded store, must not land after a round asked for later (a page, a test) and leave the older figures as the last
// sample. Seen in CI on PostgreSQL: the machine the call log already held was missing from the last sample.
import t from 'tap';
import { FakeClock } from '../../src/core/clock.js';
import type { CallFigures } from '../../src/db/repos/wallboard.js';
import { Wallboard } from '../../src/supervisor/wallboard.js';

t.test(
  'a round asked for while another runs samples after it, so the last sample is the newest',
  async (t) => {
    const figures = (machinesLastHour: number): CallFigures => ({
      callsLastMinute: 0,
      machinesLastHour,
      liveAnswersLastHour: 0,
      abandonedLastHour: 0,
    });
    // The store's answers: the first round's is held back until the test releases it; later ones at once.
    let machines = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let calls = 0;
    const published: number[] = [];
    const w = new Wallboard({
      async figures() {
        const seen = machines;
        if (++calls === 1) await held;
        return figures(seen);
      },
      clock: new FakeClock(),
      publisher: {
        publish: (_topic: string, body: unknown) =>
          void published.push((body as { machinesLastHour: number }).machinesLastHour),
      } as never,
      projects: async () => [{ id: 1, projectCode: 'p1' }],
      agentsOf: () => [],
      waitingOf: () => 0,
    });
    const older = w.sampleAll();
    await new Promise((r) => setImmediate(r));
    // The call log now holds a machine, and a page asks for a sample.
    machines = 1;
    const newer = w.sampleAll();
    await new Promise((r) => setImmediate(r));
    release();
    await Promise.all([older, newer]);
    t.same(published, [0, 1], 'published in the order asked');
    t.equal(w.lastHour('p1').length, 2, 'both rounds kept');
    t.equal(w.lastHour('p1').at(-1)?.machinesLastHour, 1, 'the last sample is the newer round');
  },
);

t.test('a failed round does not stop the next', async (t) => {
  let fail = true;
  const w = new Wallboard({
    async figures() {
      if (fail) throw new Error('store down');
      return { callsLastMinute: 2, machinesLastHour: 0, liveAnswersLastHour: 0, abandonedLastHour: 0 };
    },
    clock: new FakeClock(),
    publisher: { publish: () => undefined } as never,
    projects: async () => [{ id: 1, projectCode: 'p1' }],
    agentsOf: () => [],
    waitingOf: () => 0,
  });
  await t.rejects(w.sampleAll(), /store down/);
  fail = false;
  await w.sampleAll();
  t.equal(w.lastHour('p1').at(-1)?.callsPerMinute, 2);
});
