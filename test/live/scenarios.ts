// The live scenarios, in groups; each group runs in one lab (one FreeSWITCH, one server) in its own namespace.
// Every scenario asserts on what the spec promises: call logs (result/resultDetail, durations, billing), CDRs,
// recordings, the STOMP frames agents received, and what the carrier saw.
import { existsSync, statSync } from 'node:fs';
import type { Lab } from './lab.js';
import { sleep, waitFor } from './lab.js';
import { allAvailable, buildWorld, type World } from './world.js';

export interface Ctx {
  lab: Lab;
  w: World;
}
type Step = [string, (c: Ctx) => Promise<string | void>];

function check(cond: unknown, what: string, detail?: unknown): asserts cond {
  if (!cond) throw new Error(`${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
}

/** Waits until the task has a settled call log per number, and returns them by number. */
async function settled(c: Ctx, task: string, numbers: string[], timeoutMs = 60_000) {
  const logs = await waitFor(
    `call logs of ${numbers.join(', ')}`,
    async () => {
      const items = await c.w.logs(task);
      const done = items.filter((i) => i.result !== null && i.result !== undefined && i.result !== '');
      return numbers.every((n) => done.some((i) => i.destinationNumber === n)) ? done : undefined;
    },
    timeoutMs,
    500,
  );
  return new Map(logs.map((l) => [l.destinationNumber as string, l]));
}

function expectResult(
  log: Record<string, unknown> | undefined,
  result: number,
  detail: number,
  what: string,
) {
  check(log, `${what}: a call log`);
  check(
    Number(log.result) === result && Number(log.resultDetail) === detail,
    `${what}: result ${result}/${detail}`,
    { result: log.result, resultDetail: log.resultDetail, hangupCause: log.hangupCause },
  );
}

const world = (agents: number): Step => [
  'lab: FreeSWITCH, our server, carrier, registered baresip phones, STOMP clients',
  async (c) => {
    c.w = await buildWorld(c.lab, { agents });
    return `project ${c.w.project}, agents ${c.w.agents.map((a) => a.username).join(' ')}, manager ${c.w.manager.username}`;
  },
];

const directCall: Step = [
  'scheduleType 1: the customer answers, an agent is bridged at once, the customer hangs up (10/55)',
  async (c) => {
    const { w, lab } = c;
    await allAvailable(w);
    const number = '13600000001';
    const task = await w.task({ scheduleType: 1, callListId: await w.list([number]) });
    const logs = await settled(c, task, [number]);
    const log = logs.get(number)!;
    expectResult(log, 10, 55, number);
    check(
      Number(log.billsec) >= 6,
      'billsec counts the talk (the carrier hangs up 8 s after answering)',
      log,
    );
    check(Number(log.priceCal) > 0, 'priceCal charges the talk', log);
    const agent = log.callerIdNumber as string;
    check(
      w.agents.some((a) => a.username === agent),
      'the call log names the agent',
      log,
    );
    const frames = w.stomp.get(agent)!;
    const call = await frames.next(`/topic/call/${agent}`);
    const bye = await frames.next(`/topic/bye/${agent}`);
    check(call && bye, 'the agent got /topic/call and /topic/bye');
    // The carrier saw an answer and hung up itself.
    const seen = lab
      .carrierEvents()
      .filter((e) => e.number === number)
      .map((e) => e.event);
    check(seen.includes('answered') && seen.includes('bye-sent'), 'the carrier answered and hung up', seen);
    if (log.recordFile) {
      const file = String(log.recordFile);
      check(existsSync(file) && statSync(file).size > 44 + 8000, 'the recording has sound', file);
    } else check(false, 'the call log names a recording', log);
    return `billsec ${log.billsec}, priceCal ${log.priceCal}, agent ${agent}`;
  },
];

const failures: Step = [
  'carrier failures: busy 486 (20/20), 404 (20/1), 603 (20/10)',
  async (c) => {
    const { w } = c;
    const numbers = ['13200000001', '13400000001', '13500000001'];
    const task = await w.task({ scheduleType: 1, callListId: await w.list(numbers) });
    const logs = await settled(c, task, numbers);
    expectResult(logs.get('13200000001'), 20, 20, 'busy');
    expectResult(logs.get('13400000001'), 20, 1, '404');
    expectResult(logs.get('13500000001'), 20, 10, '603');
    for (const l of logs.values())
      check(Number(l.billsec ?? 0) === 0 && Number(l.priceCal ?? 0) === 0, 'nothing billed', l);
  },
];

export const groups: Record<string, Step[]> = {
  outbound: [world(2), directCall, failures],
};

export { sleep };
