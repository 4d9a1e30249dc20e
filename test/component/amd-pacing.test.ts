// The adaptive pacer with answering-machine detection (issue 23): half the answers are machines, which need no agent,
// so the pacer must learn that only half the answers are live and dial about twice as much per free agent. Agents
// then stay as busy as they are on a campaign without machines. The whole app runs against the emulator: customers
// answer with synthesised recordings, FreeSWITCH's unicast streams them, the classifier decides.
import { eq } from 'drizzle-orm';
import t from 'tap';
import { callLogs, taskGateways, taskNumbers, tasks } from '../../src/db/schema.js';
import { amdTestSet, loadClip } from '../support/amd-audio.js';
import { startCallHarness } from '../support/calls.js';
import { insertGateway } from '../support/gateways.js';

const AGENTS = 8;
/**
 * Emulated ms an agent talks before hanging up (1 s of real time at timeScale 0.2). Time runs 5× faster than real
 * here, not more: our own latency (answer → stream start, real milliseconds) is magnified as much, and a person's
 * "Hello?" said before the stream starts is not heard.
 */
const TALK_MS = 5000;
const WARM_UP_MS = 3000;
const MEASURE_MS = 12000;

async function clips() {
  const find = (re: RegExp) => amdTestSet().find((s) => re.test(s.name))!;
  const human = await loadClip(find(/^human-en-Hello-s175-lead1$/));
  const machine = await loadClip(find(/^machine-en-Hello-you-have-s210-lead0.4$/));
  return { human: human.pcm, machine: machine.pcm };
}

/**
 * Runs an adaptive campaign for a while and measures the agents' occupancy (share of time talking). `machines`:
 * every other customer is an answering machine; `amd`: the task analyses its answers.
 */
async function campaign(opts: { amd: boolean; machines: boolean }) {
  const audio = await clips();
  const h = await startCallHarness({ emulator: { timeScale: 0.2 } }, { dialerTickMs: 50 });
  try {
    const agents = await h.project('pp', AGENTS);
    for (const a of agents) h.fs.register(a, { mode: 'auto-answer', hangupAfterMs: TALK_MS });
    const now = h.app.ctx.clock.now();
    const gw = await insertGateway(
      h.app.ctx.repos.gateways,
      { gwCode: 'gwp', expectCount: 30, originationCallId: '02100000000', mobilePhonePrefix: '0' },
      now,
    );
    const taskId = await h.task({ code: 'tp', projectCode: 'pp', scheduleType: 1 });
    h.store.db
      .update(tasks)
      .set({ pacing: 'adaptive', amd: opts.amd ? 1 : 0, status: 1 })
      .where(eq(tasks.id, taskId))
      .run();
    h.store.db.insert(taskGateways).values({ taskId, gatewayId: gw.id, concurrency: 30 }).run();
    for (let i = 0; i < 400; i++) {
      const phone = `1380023${String(i).padStart(4, '0')}`;
      const machine = opts.machines && i % 2 === 1;
      h.fs.setPeer(`0${phone}`, {
        kind: 'answer',
        answerAfterMs: 1500 + (i % 5) * 500,
        audio: machine ? audio.machine : audio.human,
        // A machine hangs up once its recorder has run a while; a person stays until the agent is done.
        hangupAfterMs: machine ? 15_000 : 60_000,
      });
      h.store.db.insert(taskNumbers).values({ taskId, phone, updatedAt: now }).run();
    }
    await h.app.ctx.services.tasks.start('tp');
    const talking = () =>
      agents.filter((a) => h.app.ctx.services.agents.get(a)?.state.sessionStatus === 10).length;
    await new Promise((r) => setTimeout(r, WARM_UP_MS));
    let sum = 0;
    let samples = 0;
    const end = Date.now() + MEASURE_MS;
    while (Date.now() < end) {
      sum += talking() / AGENTS;
      samples++;
      await new Promise((r) => setTimeout(r, 20));
    }
    await h.app.ctx.services.tasks.end('tp');
    const logs = h.store.db.select().from(callLogs).where(eq(callLogs.taskId, taskId)).all();
    return { occupancy: sum / samples, logs, machines: opts.machines, metrics: h.app.ctx.metrics.snapshot() };
  } finally {
    await h.close();
  }
}

/** Share of the measured time agents spent talking with people (machines that reached an agent excluded). */
function peopleOccupancy(r: Awaited<ReturnType<typeof campaign>>): number {
  const connected = r.logs.filter((l) => l.callerIdNumber !== null);
  // Odd numbers are the machines (when the campaign has any); with AMD none reaches an agent.
  const people = connected.filter((l) => !r.machines || Number(l.destinationNumber?.slice(-4)) % 2 === 0);
  return connected.length ? (r.occupancy * people.length) / connected.length : 0;
}

t.test(
  'half the answers machines: with AMD the pacer learns of every machine and dials for them, no machine reaches an agent or counts as abandoned',
  async (t) => {
    const noMachines = await campaign({ amd: false, machines: false });
    const withoutAmd = await campaign({ amd: false, machines: true });
    const amd = await campaign({ amd: true, machines: true });
    for (const [name, r] of Object.entries({ noMachines, withoutAmd, amd }))
      t.comment(
        `${name}: occupancy ${(r.occupancy * 100).toFixed(0)}% (with people ${(peopleOccupancy(r) * 100).toFixed(0)}%), ${r.logs.length} calls, ${r.logs.filter((l) => l.callerIdNumber !== null).length} reached an agent, ${r.logs.filter((l) => l.abandoned === 1).length} abandoned, ${r.logs.filter((l) => l.resultDetail === 60).length} machines hung up on`,
      );
    const machines = amd.logs.filter((l) => l.resultDetail === 60);
    t.ok(machines.length >= 5, `machines were found and hung up on (${machines.length})`);
    t.ok(
      machines.every((l) => l.abandoned === null && l.result === 20),
      'no machine is a live answer: none is counted abandoned or missed',
    );
    t.equal(
      amd.logs.filter((l) => l.amdVerdict === 'machine' && l.callerIdNumber !== null).length,
      0,
      'no machine reached an agent',
    );
    const perPerson = (r: typeof amd) =>
      r.logs.length / Math.max(1, r.logs.filter((l) => l.callerIdNumber !== null).length);
    t.ok(
      perPerson(amd) >= 1.6 * perPerson(noMachines),
      `the pacer dials for the machines: ${perPerson(amd).toFixed(2)} attempts per person reached with AMD, ${perPerson(noMachines).toFixed(2)} without machines`,
    );
    // Every verdict reached the pacer: a machine as an attempt that needed no agent, a person as a live answer
    // (calls still going on when the campaign is stopped have their verdict but no call log yet: at least).
    const verdicts = (v: string[]) => amd.logs.filter((l) => v.includes(l.amdVerdict ?? '')).length;
    const told = {
      machines: amd.metrics['dialer.machines'] ?? 0,
      people: amd.metrics['dialer.amd_live'] ?? 0,
    };
    t.ok(
      told.machines >= verdicts(['machine']),
      `the pacer learned of every machine (${JSON.stringify(told)})`,
    );
    t.ok(told.people >= verdicts(['human', 'notsure']) && told.people > 0, 'and of every person');
    // Occupancy is a timing figure (the comments above; scripts/bench/BENCHMARKS.md), not asserted: it depends on
    // how busy the machine is.
  },
);
