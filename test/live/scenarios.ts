// The live scenarios, in groups; each group runs in one lab (one FreeSWITCH, one server) in its own namespace.
// Every scenario asserts on what the spec promises: call logs (result/resultDetail, durations, billing), CDRs,
// recordings, the STOMP frames agents received, and what the carrier saw.
import { existsSync, readFileSync } from 'node:fs';
import type { Lab } from './lab.js';
import { GW, sleep, waitFor } from './lab.js';
import { connectStomp } from '../support/stomp-client.js';
import { allAvailable, buildWorld, MANAGER_HZ, setWork, type World } from './world.js';
import { readWav, toneRuns, toneSpan, toneTimeline } from '../support/tones.js';

/** The tones of the parties (test/support/tones.ts): what the phones send, and the two voice files. */
const AGENT_HZ = 440;
const VOICE_HZ = 1500;
const LONG_VOICE_HZ = 1800;
const TONES = [AGENT_HZ, VOICE_HZ, LONG_VOICE_HZ, MANAGER_HZ];

/** When each known tone is heard in a call's recording (100 ms windows). */
function recordingTones(file: string) {
  check(existsSync(file), 'the recording exists', file);
  const timeline = toneTimeline(readWav(readFileSync(file)), TONES);
  const span = Object.fromEntries(TONES.map((hz) => [hz, toneSpan(timeline, hz)]));
  // The timeline is for further measures, not for failure details (JSON.stringify skips it).
  return Object.defineProperty({ seconds: timeline.length / 10, span }, 'timeline', { value: timeline }) as {
    seconds: number;
    span: Record<number, ReturnType<typeof toneSpan>>;
    timeline: Set<number>[];
  };
}

/** Each eavesdrop mode is held this long, so that who heard the manager can be measured in the audio. */
const MODE_MS = 3000;

export interface Ctx {
  lab: Lab;
  w: World;
  /** The call the supervisor scenarios share. */
  talk?: Talk;
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

const world = (agents: number, manual: number[] = []): Step => [
  'lab: FreeSWITCH, our server, carrier, registered baresip phones, STOMP clients',
  async (c) => {
    c.w = await buildWorld(c.lab, { agents, manual });
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
    const callAt = frames.arrivals.get(`/topic/call/${agent}`)?.[0] ?? 0;
    const byeAt = frames.arrivals.get(`/topic/bye/${agent}`)?.[0] ?? 0;
    // The carrier talks 8 s: /topic/call must come when the agent is bridged, not with the hangup.
    check(byeAt - callAt >= 5000, '/topic/call reaches the agent when the call is bridged', {
      callAt,
      byeAt,
    });
    check(
      (w.stomp.get(agent)!.messages.get(`/topic/status/${agent}`) ?? []).some(
        (m) => (m as { sessionStatus?: number }).sessionStatus === 10,
      ),
      'the agent was shown talking (sessionStatus 10) during the call',
    );
    // The carrier saw an answer and hung up itself.
    const seen = lab
      .carrierEvents()
      .filter((e) => e.number === number)
      .map((e) => e.event);
    check(seen.includes('answered') && seen.includes('bye-sent'), 'the carrier answered and hung up', seen);
    await waitFor(
      "FreeSWITCH's CDR ingested (mod_xml_cdr)",
      () =>
        lab.sql<{ n: number }>(
          'SELECT count(*) n FROM call_logs WHERE destination_number = ? AND cdr_received = 1',
          number,
        )[0]!.n === 1,
      15_000,
      250,
    );
    check(log.recordFile, 'the call log names a recording', log);
    // The agent's phone sends its tone; the carrier echoes what it hears, so the talk is that tone throughout.
    const rec = recordingTones(String(log.recordFile));
    check(rec.span[AGENT_HZ]!.seconds >= 4, "the recording holds the agent's tone through the talk", rec);
    check(rec.span[VOICE_HZ]!.seconds === 0, 'and no voice file', rec);
    return `billsec ${log.billsec}, priceCal ${log.priceCal}, agent ${agent}, agent's tone ${rec.span[AGENT_HZ]!.seconds} s of ${rec.seconds} s recorded`;
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

const agentRejects: Step = [
  'an agent who rejects (486) is skipped and the next agent takes the call; the customer is not hung up',
  async (c) => {
    await quiet(c);
    const { w } = c;
    const [taking, other, rejecting] = w.agents;
    w.phones.get(rejecting!.username)!.rejectIncoming();
    // The rejecting agent is the longest idle: made available first.
    await setWork(w, [taking!.username, other!.username], 0);
    await setWork(w, [rejecting!.username], 1);
    await sleep(1500);
    await setWork(w, [taking!.username], 1);
    // That phone was rung by earlier scenarios: only INVITEs from now on count.
    const rejectingPhone = w.phones.get(rejecting!.username)!;
    const rungBefore = rejectingPhone.incomingCalls().length;
    const number = '13600000002';
    const task = await w.task({ scheduleType: 1, callListId: await w.list([number]) });
    const log = (await settled(c, task, [number])).get(number)!;
    expectResult(log, 10, 55, number);
    check(log.callerIdNumber === taking!.username, 'the second agent took the call', log);
    const offered = rejectingPhone.incomingCalls().slice(rungBefore);
    check(
      offered.length >= 1 && offered.every((from) => from.includes(`<sip:${number}@`)),
      "the first agent's phone was offered this customer's call (and rejected it)",
      offered,
    );
    await setWork(w, [rejecting!.username], 0);
    return `taken by ${taking!.username}`;
  },
];

/** A caller through the carrier to our DID, on a new inbound task; returns the call's settled log. */
async function callInLogged(c: Ctx, from: string, holdMs: number, port: number) {
  const task = await c.w.task({ callType: 3, scheduleType: 11, rate: 1 });
  const r = await c.lab.callIn('02100000000', from, holdMs, port);
  check(r.code === 0, 'the caller completed its call', r.out.slice(-1500));
  return waitFor(
    `the call log of ${from}`,
    async () => (await c.w.logs(task)).find((l) => l.result !== null && l.result !== ''),
    15_000,
    500,
  );
}

const inbound: Step = [
  'inbound (callType 3, scheduleType 11): a caller through the carrier reaches an agent, who sees the caller id',
  async (c) => {
    const { w } = c;
    await allAvailable(w);
    const logs = await callInLogged(c, '13700000001', 7000, 5300);
    expectResult(logs, 10, 55, 'inbound');
    const agent = String(logs.callerIdNumber);
    const shown = w.phones.get(agent)?.incomingCalls() ?? [];
    check(
      shown.some((l) => /<sip:13700000001@/.test(l)),
      "the agent's phone shows the caller's number, not the DID",
      shown,
    );
    return `agent ${agent}, billsec ${logs.billsec}`;
  },
];

const queueTimeout: Step = [
  'inbound with every agent unavailable: the caller waits in the queue, then 40',
  async (c) => {
    const { w, lab } = c;
    for (const a of w.agents)
      await lab.ok('POST', '/callcenter/callProject/api/setWorkStatus/v1', {
        username: a.username,
        workStatus: 0,
      });
    const log = await callInLogged(c, '13700000002', 30_000, 5310);
    expectResult(log, 30, 40, 'queue timeout');
    const seen = lab
      .carrierEvents()
      .filter((e) => e.number === '02100000000')
      .map((e) => e.event);
    check(seen.includes('bye-received'), 'FreeSWITCH hung up on the caller', seen);
    await allAvailable(w);
  },
];

const agentCodes: Step = [
  'agent_login / agent_logoff dialled from the phone set the agent available / unavailable',
  async (c) => {
    const { w, lab } = c;
    const agent = w.agents[0]!.username;
    const workStatus = () =>
      lab.sql<{ work_status: number }>('SELECT work_status FROM extensions WHERE username = ?', agent)[0]!
        .work_status;
    const phone = w.phones.get(agent)!;
    await phone.dial('agent_logoff');
    await waitFor('workStatus 0 after agent_logoff', () => workStatus() === 0, 10_000);
    await sleep(1500);
    await phone.hangup();
    await phone.dial('agent_login');
    await waitFor('workStatus 1 after agent_login', () => workStatus() === 1, 10_000);
    await sleep(1500);
    await phone.hangup();
  },
];

/** Waits until FreeSWITCH has no call left from the previous scenario (phones hung up, legs torn down). */
async function quiet(c: Ctx): Promise<void> {
  await waitFor('FreeSWITCH idle', () => channels(c.lab).length === 0, 20_000, 200);
}

const agentFirst: Step = [
  'agent first (scheduleType 3): the agent is rung, then the customer; answered, busy, 404 and 603 customers',
  async (c) => {
    await quiet(c);
    const { w } = c;
    // Only phones that answer by themselves: an agent who never answers is another scenario (the retry cap).
    const auto = w.autoAgents.map((a) => a.username);
    await setWork(
      w,
      w.agents.map((a) => a.username).filter((u) => !auto.includes(u)),
      0,
    );
    await allAvailable(w, auto);
    const numbers = ['13600000004', '13200000004', '13400000004', '13500000004'];
    const task = await w.task({ scheduleType: 3, callListId: await w.list(numbers), rate: 1 });
    const logs = await settled(c, task, numbers, 90_000);
    const answered = logs.get('13600000004')!;
    expectResult(answered, 10, 55, 'answered');
    check(Number(answered.billsec) >= 6 && Number(answered.priceCal) > 0, 'the talk is billed', answered);
    expectResult(logs.get('13200000004'), 20, 20, 'busy');
    expectResult(logs.get('13400000004'), 20, 1, '404');
    expectResult(logs.get('13500000004'), 20, 10, '603');
    return `answered billsec ${answered.billsec}, priceCal ${answered.priceCal}`;
  },
];

const agentFirstCap: Step = [
  'agent first: an agent who never answers is rung the configured number of times, then the number is settled as agent no answer (30/32); the customer is never dialled',
  async (c) => {
    await quiet(c);
    const { w, lab } = c;
    const auto = w.autoAgents.map((a) => a.username);
    const silent = w.agents.map((a) => a.username).find((u) => !auto.includes(u))!;
    await setWork(w, auto, 0);
    await setWork(w, [silent], 1);
    const rungBefore = w.phones.get(silent)!.incomingCalls().length;
    const number = '13600000014';
    const task = await w.task({ scheduleType: 3, callListId: await w.list([number]), rate: 1 });
    // CC_AGENT_FIRST_MAX_TRIES=2 in the lab; each try rings CC_AGENT_RING_S (8 s).
    const log = (await settled(c, task, [number], 60_000)).get(number)!;
    expectResult(log, 30, 32, number);
    const rung = w.phones.get(silent)!.incomingCalls().length - rungBefore;
    check(rung === 2, `the agent was rung twice (${rung})`, log);
    check(
      !lab.carrierEvents().some((e) => e.number.endsWith(number)),
      'the carrier never saw the customer dialled',
    );
    await setWork(w, [silent], 0);
    await allAvailable(w, auto);
    return `rung ${rung} times, settled ${log.result}/${log.resultDetail}`;
  },
];

const playOnly: Step = [
  'play only (scheduleType 5): the answered customer hears the voice and the call ends (10)',
  async (c) => {
    await quiet(c);
    const { w, lab } = c;
    const form = new FormData();
    form.set('voiceCode', 'livevoice');
    // A 3 s voice of its own tone (the WAV header still says 60 s: FreeSWITCH plays what is there).
    form.set(
      'file',
      new Blob([readFileSync(lab.toneFile(VOICE_HZ)).subarray(0, 44 + 8000 * 2 * 3)]),
      'voice.wav',
    );
    await lab.upload('/callcenter/callProject/api/uploadVoiceFile/v1', form);
    const number = '13100000005';
    const task = await w.task({
      scheduleType: 5,
      voiceCode: 'livevoice',
      callListId: await w.list([number]),
    });
    const log = (await settled(c, task, [number])).get(number)!;
    check(Number(log.result) === 10, 'a played call is a success', log);
    const seen = lab
      .carrierEvents()
      .filter((e) => e.number === number)
      .map((e) => e.event);
    check(
      seen.includes('answered') && seen.includes('bye-received'),
      'FreeSWITCH hung up after the voice',
      seen,
    );
    // The customer heard the voice: it is in the recording of the customer's leg, and no agent is.
    check(log.recordFile, 'the call log names a recording', log);
    const rec = recordingTones(String(log.recordFile));
    check(rec.span[VOICE_HZ]!.seconds >= 2, 'the customer heard the voice (its tone is recorded)', rec);
    check(rec.span[AGENT_HZ]!.seconds === 0, 'and no agent', rec);
    return `resultDetail ${log.resultDetail}, billsec ${log.billsec}, voice heard ${rec.span[VOICE_HZ]!.seconds} s`;
  },
];

const offHook: Step = [
  'off-hook agent (scheduleType 4): the agent dials fifo<project> once and customers are bridged to that leg',
  async (c) => {
    const { w, lab } = c;
    const agent = w.agents[1]!.username;
    for (const a of w.agents)
      await lab.ok('POST', '/callcenter/callProject/api/setWorkStatus/v1', {
        username: a.username,
        workStatus: 0,
      });
    const phone = w.phones.get(agent)!;
    await phone.dial(`fifo${w.project}`);
    await waitFor(
      'the off-hook agent available',
      () =>
        lab.sql<{ work_status: number }>('SELECT work_status FROM extensions WHERE username = ?', agent)[0]!
          .work_status === 1,
      10_000,
    );
    // Another agent is available but holds no fifo leg: off-hook pacing must not count it (issue 14.4).
    const other = w.agents[0]!.username;
    await setWork(w, [other], 1);
    const numbers = ['13600000006', '13600000007'];
    const task = await w.task({ scheduleType: 4, callListId: await w.list(numbers), rate: 1 });
    let peak = 0;
    let sampling = true;
    let unread: unknown;
    const sample = (async () => {
      while (sampling && !unread) {
        try {
          const customers = channels(lab).filter((r) => (r.name ?? '').startsWith('sofia/external/')).length;
          peak = Math.max(peak, customers);
        } catch (err) {
          unread = err; // reported below: a peak read from an unreadable switch proves nothing
        }
        await sleep(300);
      }
    })();
    const logs = await settled(c, task, numbers, 60_000).finally(() => (sampling = false));
    await sample;
    check(!unread, 'FreeSWITCH was readable while the peak was sampled', String(unread));
    await setWork(w, [other], 0);
    for (const n of numbers) {
      expectResult(logs.get(n), 10, 55, n);
      check(logs.get(n)!.callerIdNumber === agent, 'the off-hook agent talked', logs.get(n));
    }
    check(peak === 1, `one off-hook agent at rate 1: one customer at a time (peak ${peak})`);
    await phone.hangup();
    return `billsec ${numbers.map((n) => logs.get(n)!.billsec).join(', ')}, peak ${peak} customer leg`;
  },
];

/** Customer legs FreeSWITCH shows talking: answered, bridged, with an answered agent leg of the same call. */
function talkingOnSwitch(rows: Record<string, string>[]): Record<string, string>[] {
  return rows.filter(
    (r) =>
      (r.name ?? '').startsWith('sofia/external/') &&
      r.callstate === 'ACTIVE' &&
      rows.some(
        (a) => a.uuid !== r.uuid && a.call_uuid === r.uuid && a.callstate === 'ACTIVE' && a.presence_id,
      ),
  );
}

const crash: Step = [
  'kill -9 of our server mid-campaign while the switch shows calls talking, then a restart: those calls keep talking and are settled once with their talk time; nothing dialled twice, every call settled and logged',
  async (c) => {
    const { w, lab } = c;
    await allAvailable(w);
    // The carrier hangs up these 8 s after answering (third digit 6): the talk is what is billed.
    const numbers = Array.from({ length: 6 }, (_, i) => `1360000010${i}`);
    const task = await w.task({ scheduleType: 1, callListId: await w.list(numbers), rate: 1 });
    const { atCrash, agentOf } = await waitFor(
      'two calls talking on the switch',
      () => {
        const rows = channels(lab);
        const talking = talkingOnSwitch(rows);
        const agentOf = (call: Record<string, string>) =>
          rows.find((a) => a.call_uuid === call.uuid && a.uuid !== call.uuid)!.presence_id!.split('@')[0];
        return talking.length >= 2 ? { atCrash: talking, agentOf } : undefined;
      },
      30_000,
      100,
    );
    await lab.killServer();
    const killedAt = Date.now();
    await sleep(1500);
    const afterKill = talkingOnSwitch(channels(lab));
    for (const call of atCrash)
      check(
        afterKill.some((r) => r.uuid === call.uuid),
        `${call.dest} keeps talking after the kill`,
        afterKill.map((r) => r.dest),
      );
    await lab.startServer();
    // Sample FreeSWITCH's channels while the restarted server works through the list.
    const agentNames = new Set(w.agents.map((a) => a.username));
    const doubled: string[] = [];
    const unread: string[] = [];
    const sampler = setInterval(() => {
      const legs = new Map<string, number>();
      let rows: Record<string, string>[];
      try {
        rows = channels(lab);
      } catch (err) {
        unread.push(String(err));
        return;
      }
      for (const r of rows) {
        const ext = (r.presence_id ?? '').split('@')[0] ?? '';
        if (agentNames.has(ext)) legs.set(ext, (legs.get(ext) ?? 0) + 1);
      }
      for (const [ext, n] of legs) if (n > 1) doubled.push(`${ext}: ${n} legs at ${Date.now()}`);
    }, 250);
    const stopSampling = () => clearInterval(sampler);
    c.lab.onClose(async () => stopSampling());
    const logs = await settled(c, task, numbers, 120_000);
    const left = lab.sql<{ n: number }>(
      `SELECT count(*) n FROM task_numbers tn JOIN tasks t ON t.id = tn.task_id
       WHERE t.call_task_code = ? AND tn.state IN ('dialing', 'pending')`,
      task,
    )[0]!.n;
    check(left === 0, 'no number is left dialing or pending', left);
    for (const n of numbers) {
      const invites = lab.carrierEvents().filter((e) => e.number === n && e.event === 'invite').length;
      check(invites === 1, `${n} was dialled exactly once`, invites);
    }
    // The calls talking at the crash: one call log each, settled as talked, with the agent FreeSWITCH showed, the
    // talk time billed (the carrier talked 8 s) and the recording, all from the CDR that came after the restart.
    for (const call of atCrash) {
      const rows = lab.sql<Record<string, unknown>>(
        'SELECT * FROM call_logs WHERE call_task_code = ? AND destination_number = ?',
        task,
        call.dest,
      );
      check(rows.length === 1, `${call.dest}, talking at the crash, is settled once`, rows);
      const log = rows[0]!;
      const agent = agentOf(call);
      check(Number(log.result) === 10 && Number(log.result_detail) === 55, `${call.dest}: result 10/55`, log);
      check(log.caller_id_number === agent, `${call.dest}: the agent it talked with (${agent})`, log);
      check(
        Number(log.billsec) >= 6 && Number(log.price_cal) > 0 && log.record_file,
        `${call.dest}: talk time billed and recorded`,
        log,
      );
    }
    // No agent was given a second call while still on one: FreeSWITCH never had two legs of one agent at once.
    stopSampling();
    check(unread.length === 0, 'FreeSWITCH was readable throughout the sampling', unread.slice(0, 3));
    check(doubled.length === 0, 'no agent had two legs at once after the restart', doubled.slice(0, 3));
    return `${atCrash.map((r) => r.dest).join(', ')} talking at the kill (${new Date(killedAt).toISOString()}); results ${[...logs.values()].map((l) => `${l.result}/${l.resultDetail}`).join(' ')}`;
  },
];

/** Waits until our server counted the event-socket link dropping and connecting again since `before`. */
async function linkCameBack(lab: Lab, before: Record<string, number>, timeoutMs: number) {
  const n = (m: Record<string, number>, k: string) => m[k] ?? 0;
  return waitFor(
    'our server saw the event-socket link drop and come back (esl.disconnects, esl.connects on /health)',
    async () => {
      const now = await lab.serverMetrics();
      return n(now, 'esl.disconnects') > n(before, 'esl.disconnects') &&
        n(now, 'esl.connects') > n(before, 'esl.connects')
        ? now
        : undefined;
    },
    timeoutMs,
    200,
  );
}

const regStatus = (lab: Lab, username: string) =>
  lab.sql<{ r: number }>('SELECT reg_status r FROM extensions WHERE username = ?', username)[0]!.r;

const eslReload: Step = [
  'reload mod_event_socket: the link drops and comes back, registrations stay, the next task dials',
  async (c) => {
    const { w, lab } = c;
    const started = Date.now();
    const before = await lab.serverMetrics();
    const out = lab.fsQuery('reload mod_event_socket');
    check(/\+OK/.test(out), 'FreeSWITCH reloaded the module', out);
    await linkCameBack(lab, before, 15_000);
    for (const a of w.autoAgents) check(regStatus(lab, a.username) === 1, `${a.username} still registered`);
    const number = '13600000201';
    const task = await w.task({ scheduleType: 1, callListId: await w.list([number]) });
    const log = (await settled(c, task, [number], 60_000)).get(number)!;
    expectResult(log, 10, 55, number);
    return `call settled ${Math.round((Date.now() - started) / 1000)} s after the reload`;
  },
];

const fsRestart: Step = [
  'FreeSWITCH restart while agents are registered: the link drops and comes back, registrations are re-read from FreeSWITCH (one lost while it was down is shown unregistered), the next task dials',
  async (c) => {
    const { w, lab } = c;
    const [lost, kept] = w.autoAgents.map((a) => a.username);
    const before = await lab.serverMetrics();
    await lab.stopFreeswitch();
    const down = Date.now();
    // Only a re-read of FreeSWITCH's listing can tell our server this: no event says it.
    check(lab.dropStoredRegistration(lost!) >= 1, `FreeSWITCH had stored ${lost}'s registration`);
    await lab.startFreeswitch();
    await linkCameBack(lab, before, 30_000);
    const listed = lab.registeredUsers();
    check(
      !listed.some((u) => u.startsWith(`${lost}@`)) && listed.some((u) => u.startsWith(`${kept}@`)),
      `FreeSWITCH came back listing ${kept} and not ${lost}`,
      listed,
    );
    await waitFor(
      `our server re-read the registrations: ${lost} unregistered, ${kept} registered`,
      () => regStatus(lab, lost!) === 0 && regStatus(lab, kept!) === 1,
      15_000,
      250,
    );
    // The phone registers again (a new baresip on the same port): the event brings it back.
    const phone = w.phones.get(lost!)!;
    const exited = new Promise((r) => phone.proc.child.once('exit', r));
    phone.proc.child.kill('SIGKILL');
    await exited;
    const ext = w.agents.find((a) => a.username === lost)!;
    w.phones.set(lost!, await lab.startPhone(lost!, ext.password, 5200 + w.agents.indexOf(ext) * 10));
    await waitFor(`${lost} registered again`, () => regStatus(lab, lost!) === 1, 20_000, 250);
    const number = '13600000202';
    const task = await w.task({ scheduleType: 1, callListId: await w.list([number]) });
    const log = (await settled(c, task, [number], 90_000)).get(number)!;
    expectResult(log, 10, 55, number);
    return `a call went through ${Math.round((Date.now() - down) / 1000)} s after the restart began`;
  },
];

const disable: Step = [
  "setExtensionStatus disable flushes the phone's registration and the directory refuses it",
  async (c) => {
    const { w, lab } = c;
    const agent = w.autoAgents[1]!.username;
    await lab.ok('POST', '/callcenter/callProject/api/setExtensionStatus/v1', {
      username: agent,
      workStatus: -1,
    });
    await waitFor('the registration flushed', () => regStatus(lab, agent) === 0, 15_000, 250);
    check(!lab.registeredUsers().some((u) => u.startsWith(`${agent}@`)), 'FreeSWITCH no longer lists it');
    await lab.ok('POST', '/callcenter/callProject/api/setExtensionStatus/v1', {
      username: agent,
      workStatus: 0,
    });
  },
];

type Notice = { msgType?: string; data?: string };

/** The next notice on the requester's /topic/notify that matches `type` (success, error, info, warning). */
async function notice(
  c: Ctx,
  username: string,
  type: string,
  after: number,
  timeoutMs = 15_000,
): Promise<Notice> {
  const client = c.w.stomp.get(username)!;
  const dest = `/topic/notify/${c.w.project}/${username}`;
  return waitFor(
    `a ${type} notice for ${username}`,
    () => {
      const list = (client.messages.get(dest) ?? []) as Notice[];
      const errors = list.slice(after).filter((n) => n.msgType === 'error');
      if (type !== 'error' && errors.length)
        throw new Error(`refused: ${errors.map((e) => e.data).join('; ')}`);
      return list.slice(after).find((n) => n.msgType === type);
    },
    timeoutMs,
    100,
  );
}

const notices = (c: Ctx, username: string) =>
  (c.w.stomp.get(username)!.messages.get(`/topic/notify/${c.w.project}/${username}`) ?? []).length;

/** FreeSWITCH's channels; throws when the switch cannot be read (a check on an unread switch fails). */
const channels = (lab: Lab): Record<string, string>[] => lab.channels();

interface Talk {
  task: string;
  number: string;
  agent: string;
  callId: string;
  /** Set once the manager listened, whispered (2), barged (3) and listened again (0), MODE_MS each. */
  modesHeld?: boolean;
}

/** A customer (who stays until FreeSWITCH hangs up) talking with an agent. */
async function customerTalking(c: Ctx, number: string, agents: string[]): Promise<Talk> {
  const { w } = c;
  await setWork(
    w,
    w.agents.map((a) => a.username),
    0,
  );
  await setWork(w, agents, 1);
  const task = await w.task({ scheduleType: 1, callListId: await w.list([number]) });
  const { agent, body } = await waitFor(
    'the agent on the call',
    () => {
      for (const a of agents) {
        const frames = (w.stomp.get(a)!.messages.get(`/topic/call/${a}`) ?? []) as {
          callId: string;
          telNo: string;
        }[];
        const body = frames.find((f) => f.telNo === number);
        if (body) return { agent: a, body };
      }
      return undefined;
    },
    20_000,
  );
  return { task, number, agent, callId: body.callId };
}

const eavesdrop: Step = [
  'eavesdrop: the manager listens, whispers (DTMF 2), barges (DTMF 3) and stops (*); the call goes on',
  async (c) => {
    const { w, lab } = c;
    const talk = await customerTalking(c, '13100000301', [w.autoAgents[0]!.username]);
    c.talk = talk;
    const mgr = w.manager.username;
    let n = notices(c, mgr);
    w.stomp.get(mgr)!.send('/app/eavesdrop', { username: talk.agent });
    await notice(c, mgr, 'success', n);
    const leg = await waitFor(
      'the eavesdrop leg',
      () => channels(lab).find((r) => r.application === 'eavesdrop'),
      10_000,
    );
    // Listen, whisper (2), barge (3), listen (0): MODE_MS each. The manager's phone sends MANAGER_HZ; who heard it
    // is measured once the call is over (the transfer step): the agent for whisper and barge, the customer for barge.
    await sleep(MODE_MS);
    for (const digit of ['2', '3', '0']) {
      lab.fsCommand(`uuid_recv_dtmf ${leg.uuid} ${digit}`);
      await sleep(MODE_MS);
      check(
        channels(lab).some((r) => r.uuid === leg.uuid),
        `the listener is still there after DTMF ${digit}`,
      );
    }
    talk.modesHeld = true;
    n = notices(c, mgr);
    lab.fsCommand(`uuid_recv_dtmf ${leg.uuid} *`);
    await waitFor(
      'the eavesdrop leg gone after *',
      () => !channels(lab).some((r) => r.uuid === leg.uuid),
      10_000,
    );
    await notice(c, mgr, 'info', n);
    check(
      channels(lab).some((r) => r.uuid === talk.callId),
      'the customer is still on the call',
    );
    // A second listen, stopped by the command this time.
    n = notices(c, mgr);
    w.stomp.get(mgr)!.send('/app/eavesdrop', { username: talk.agent, mode: 'barge' });
    await notice(c, mgr, 'success', n);
    const barge = await waitFor(
      'the barge leg',
      () => channels(lab).find((r) => r.application === 'eavesdrop'),
      10_000,
    );
    n = notices(c, mgr);
    w.stomp.get(mgr)!.send('/app/stopEavesdrop', { username: talk.agent });
    await notice(c, mgr, 'success', n);
    await waitFor('the barge leg gone', () => !channels(lab).some((r) => r.uuid === barge.uuid), 10_000);
    check(
      channels(lab).some((r) => r.uuid === talk.callId),
      'the customer is still on the call',
    );
  },
];

const playVoice: Step = [
  'playVoice / stopPlayVoice: the agent plays a voice to the customer inside the call and stops it',
  async (c) => {
    const { w, lab } = c;
    const talk = c.talk!;
    const form = new FormData();
    form.set('voiceCode', 'longvoice');
    form.set('file', new Blob([readFileSync(lab.toneFile(LONG_VOICE_HZ))]), 'long.wav');
    await lab.upload('/callcenter/callProject/api/uploadVoiceFile/v1', form);
    let n = notices(c, talk.agent);
    w.stomp
      .get(talk.agent)!
      .send('/app/playVoice', { username: talk.agent, callId: talk.callId, voiceCode: 'longvoice' });
    await notice(c, talk.agent, 'success', n);
    // Heard in the recording once the call ends (the transfer step): here, it plays for a while.
    await sleep(2000);
    n = notices(c, talk.agent);
    w.stomp.get(talk.agent)!.send('/app/stopPlayVoice', { username: talk.agent, callId: talk.callId });
    await notice(c, talk.agent, 'success', n);
    // The talk goes on after the stop: the transfer step measures it in the recording.
    await sleep(2500);
    check(
      channels(lab).some((r) => r.uuid === talk.callId),
      'the call goes on',
    );
  },
];

/**
 * The eavesdrop modes, heard: the manager's tone reached the agent for whisper and barge (about 2 MODE_MS) and the
 * customer for barge only (about MODE_MS), and nobody while the manager only listened (else the runs are longer).
 * The second, short barge of the eavesdrop step makes a shorter run of its own: the longest run is the DTMF one.
 */
function modesHeard(c: Ctx, talk: Talk, customerHeard: Set<number>[]): string {
  check(talk.modesHeld, 'the eavesdrop step held each mode');
  const heardFile = c.w.phones.get(talk.agent)!.heardFile();
  check(heardFile, "the agent's phone dumped what it heard", talk.agent);
  const agentHeard = toneTimeline(readWav(readFileSync(heardFile)), TONES);
  const agent = toneRuns(agentHeard, MANAGER_HZ)[0]?.seconds ?? 0;
  const customer = toneRuns(customerHeard, MANAGER_HZ)[0]?.seconds ?? 0;
  const mode = MODE_MS / 1000;
  check(
    agent >= 2 * mode - 1.2 && agent <= 2 * mode + 1.2,
    `the agent heard the manager in whisper and barge only (${agent} s, about ${2 * mode} s)`,
    toneRuns(agentHeard, MANAGER_HZ),
  );
  check(
    customer >= mode - 1.2 && customer <= mode + 1.2,
    `the customer heard the manager in barge only (${customer} s, about ${mode} s)`,
    toneRuns(customerHeard, MANAGER_HZ),
  );
  return `manager heard by the agent ${agent} s, by the customer ${customer} s`;
}

const transfer: Step = [
  'transfer: the agent hands the customer to a colleague, who is told and takes the call; the log follows',
  async (c) => {
    const { w } = c;
    const talk = c.talk!;
    const other = w.autoAgents[1]!.username;
    await setWork(w, [other], 1);
    w.stomp
      .get(talk.agent)!
      .send('/app/transfer', { username: talk.agent, callId: talk.callId, otherUsername: other });
    await w.stomp.get(other)!.next(`/topic/transfer/${other}`, () => true, 15_000);
    await w.stomp
      .get(other)!
      .next(`/topic/call/${other}`, (m: { callId?: string }) => m.callId === talk.callId, 20_000);
    // The colleague hangs up from the workbench (/app/bye): the agent hung up (50), and the log names the colleague.
    w.stomp.get(other)!.send('/app/bye', { username: other, callId: talk.callId });
    const log = (await settled(c, talk.task, [talk.number])).get(talk.number)!;
    expectResult(log, 10, 50, 'transferred call');
    check(log.callerIdNumber === other, 'the call log names the agent who finished the call', log);
    // playVoice (the step before) started and stopped inside this call: the customer heard the long voice for
    // about the 2 s it played, and the talk went on without it (the agents' tone after it).
    check(log.recordFile, 'the call log names a recording', log);
    const rec = recordingTones(String(log.recordFile));
    const voice = rec.span[LONG_VOICE_HZ]!;
    check(voice.seconds >= 1 && voice.seconds <= 6, 'playVoice played the voice to the customer', rec);
    check(rec.span[AGENT_HZ]!.last >= voice.last + 1, 'stopPlayVoice stopped it while the call went on', rec);
    return `long voice heard ${voice.first}-${voice.last} s of ${rec.seconds} s; ${modesHeard(c, talk, rec.timeline)}`;
  },
];

const conference: Step = [
  'conference: the manager and the idle agents meet (sessionStatus 7); stopConference ends it',
  async (c) => {
    const { w, lab } = c;
    await setWork(
      w,
      w.autoAgents.map((a) => a.username),
      1,
    );
    const mgr = w.manager.username;
    const n = notices(c, mgr);
    w.stomp.get(mgr)!.send('/app/conference', { projectCode: w.project });
    await notice(c, mgr, 'success', n);
    const members = () => channels(lab).filter((r) => r.application === 'conference').length;
    await waitFor('the manager and both agents in the room', () => members() >= 3, 20_000, 250);
    const status = await lab.ok<Record<string, unknown>[]>(
      'GET',
      '/callcenter/callProject/api/getExtentionByProject/v1',
      {
        projectCode: w.project,
      },
    );
    const inRoom = status.filter((e) => Number(e.sessionStatus ?? e.sessionSatus) === 7).length;
    check(inRoom >= 2, 'agents in the room are sessionStatus 7', status);
    w.stomp.get(mgr)!.send('/app/stopConference', { projectCode: w.project });
    await waitFor('the room empty', () => members() === 0, 15_000, 250);
    return `${inRoom} agents were shown in the conference`;
  },
];

const pmCall: Step = [
  "pmCallAgent / pmByeAgent: the manager's phone is bridged to an agent's, then both are hung up",
  async (c) => {
    const { w, lab } = c;
    const mgr = w.manager.username;
    const agent = w.autoAgents[0]!.username;
    const n = notices(c, mgr);
    w.stomp.get(mgr)!.send('/app/pmCallAgent', { telNo: agent });
    const ok = await notice(c, mgr, 'success', n, 20_000);
    const callId = /callId ([0-9a-f-]{36})/.exec(ok.data ?? '')?.[1];
    check(callId, 'the success notice names the callId', ok);
    await waitFor(
      'manager and agent bridged',
      () => channels(lab).filter((r) => r.callstate === 'ACTIVE').length >= 2,
      10_000,
    );
    w.stomp.get(mgr)!.send('/app/pmByeAgent', { callId });
    await waitFor('both legs gone', () => channels(lab).length === 0, 10_000, 250);
  },
];

/** After a restart of our server: a fresh STOMP session for `username`, subscribed as buildWorld subscribes. */
async function relogin(w: World, username: string): Promise<void> {
  const ext = [...w.agents, w.manager].find((e) => e.username === username)!;
  await w.stomp.get(username)?.close();
  const client = await connectStomp('http://127.0.0.1:8080', username, ext.password);
  for (const topic of ['status', 'call', 'bye', 'register', 'invite', 'transfer'])
    client.subscribe(`/topic/${topic}/${username}`);
  client.subscribe(`/topic/notify/${w.project}/${username}`);
  w.stomp.set(username, client);
}

const supervisorRestart: Step = [
  'kill -9 of our server mid-eavesdrop and mid-conference: after the restart the listener and the room are known (stopEavesdrop, stopConference), nothing is left behind',
  async (c) => {
    const { w, lab } = c;
    const mgr = w.manager.username;
    const [first, second] = w.autoAgents.map((a) => a.username);
    const talk = await customerTalking(c, '13100000302', [first!]);
    let n = notices(c, mgr);
    w.stomp.get(mgr)!.send('/app/eavesdrop', { username: talk.agent });
    await notice(c, mgr, 'success', n);
    const spy = await waitFor(
      'the eavesdrop leg',
      () => channels(lab).find((r) => r.application === 'eavesdrop'),
      10_000,
    );
    await lab.killServer();
    await lab.startServer();
    await relogin(w, mgr);
    await sleep(2000);
    check(
      channels(lab).some((r) => r.uuid === spy.uuid),
      'the listener kept listening while our server was away',
    );
    // Known again: a second listen on the same phone is refused, and stopEavesdrop ends this one.
    n = notices(c, mgr);
    w.stomp.get(mgr)!.send('/app/eavesdrop', { username: talk.agent });
    const refused = await notice(c, mgr, 'error', n);
    check(/already listening/.test(refused.data ?? ''), 'the phone is known to be listening', refused);
    n = notices(c, mgr);
    w.stomp.get(mgr)!.send('/app/stopEavesdrop', { username: talk.agent });
    await notice(c, mgr, 'success', n);
    await waitFor('the listener gone', () => !channels(lab).some((r) => r.uuid === spy.uuid), 10_000, 250);
    check(
      channels(lab).some((r) => r.uuid === talk.callId),
      'the customer is still on the call',
    );

    // A conference of the manager and the idle agent, across a second restart.
    await setWork(w, [second!], 1);
    n = notices(c, mgr);
    w.stomp.get(mgr)!.send('/app/conference', { projectCode: w.project });
    await notice(c, mgr, 'success', n);
    const members = () => channels(lab).filter((r) => r.application === 'conference').length;
    await waitFor('the manager and the agent in the room', () => members() === 2, 20_000, 250);
    await lab.killServer();
    await lab.startServer();
    await relogin(w, mgr);
    const shown = await waitFor(
      'the agent shown in the conference again',
      async () => {
        const rows = await lab.ok<Record<string, unknown>[]>(
          'GET',
          '/callcenter/callProject/api/getExtentionByProject/v1',
          { projectCode: w.project },
        );
        const row = rows.find((r) => r.username === second);
        return Number(row?.sessionStatus ?? row?.sessionSatus) === 7 ? row : undefined;
      },
      15_000,
      500,
    );
    check(shown, 'sessionStatus 7 after the restart');
    n = notices(c, mgr);
    w.stomp.get(mgr)!.send('/app/stopConference', { projectCode: w.project });
    await notice(c, mgr, 'success', n);
    await waitFor('the room empty', () => members() === 0, 15_000, 250);
    // The customer's call ends; its agent is free again and nothing of ours is left in FreeSWITCH.
    lab.fsCommand(`uuid_kill ${talk.callId}`);
    await waitFor('FreeSWITCH idle', () => channels(lab).length === 0, 15_000, 250);
    return `listener ${spy.uuid.slice(0, 8)} and the room survived two restarts`;
  },
];

const playThenAgent: Step = [
  'scheduleType 2: the customer hears the voice, then an agent takes the call (10/55)',
  async (c) => {
    await quiet(c);
    const { w } = c;
    await allAvailable(w);
    const number = '13600000501';
    const task = await w.task({
      scheduleType: 2,
      voiceCode: 'livevoice',
      callListId: await w.list([number]),
    });
    const log = (await settled(c, task, [number])).get(number)!;
    expectResult(log, 10, 55, number);
    check(
      w.autoAgents.some((a) => a.username === log.callerIdNumber),
      'an agent took it after the voice',
      log,
    );
    // The agent talks for what is left of the carrier's 8 s after the 3 s voice: the recording has the voice's tone,
    // then the agent's, never the agent's before the voice ended.
    check(log.recordFile, 'the call log names a recording', log);
    const rec = recordingTones(String(log.recordFile));
    const voice = rec.span[VOICE_HZ]!;
    const agent = rec.span[AGENT_HZ]!;
    check(voice.seconds >= 2, 'the customer heard the voice', rec);
    check(agent.seconds >= 1, 'then the agent', rec);
    check(voice.last <= agent.first + 0.2, 'the voice before the agent', rec);
    return `billsec ${log.billsec}; voice ${voice.first}-${voice.last} s, agent from ${agent.first} s`;
  },
];

const agentDials: Step = [
  'preview (getCallList + /app/previewCall) and /app/call: the agent rings first, then the customer; /app/bye ends it',
  async (c) => {
    await quiet(c);
    const { w, lab } = c;
    const agent = w.autoAgents[0]!.username;
    await setWork(
      w,
      w.agents.map((a) => a.username),
      0,
    );
    const numbers = ['13600000601', '13600000602'];
    const task = await w.task({ callType: 2, scheduleType: 3, callListId: await w.list(numbers), rate: 1 });
    const held = await lab.ok<{ items: { phone: string }[] }>(
      'GET',
      '/callcenter/callTask/api/getCallList/v1',
      {
        callTaskCode: task,
        count: 1,
        username: agent,
      },
    );
    const telNo = held.items[0]?.phone ?? '';
    check(numbers.includes(telNo), 'getCallList hands out a number of the task', held);
    const stomp = w.stomp.get(agent)!;
    stomp.send('/app/previewCall', { username: agent, telNo, callTaskCode: task });
    const log = (await settled(c, task, [telNo], 60_000)).get(telNo)!;
    expectResult(log, 10, 55, `preview ${telNo}`);
    check(log.callerIdNumber === agent, 'the previewing agent is named', log);
    // /app/call to a number of no task, through the project's gateway; the agent hangs up with /app/bye.
    const before = lab.carrierEvents().length;
    stomp.send('/app/call', { username: agent, telNo: '13100000603' });
    const call = (await stomp.next(
      `/topic/call/${agent}`,
      (m: { telNo?: string }) => m.telNo === '13100000603',
      20_000,
    )) as { callId: string };
    await sleep(1500);
    stomp.send('/app/bye', { username: agent, callId: call.callId });
    await waitFor(
      'the carrier saw the call end',
      () =>
        lab
          .carrierEvents()
          .slice(before)
          .some((e) => e.number === '13100000603' && e.event === 'bye-received'),
      15_000,
      250,
    );
  },
];

const agentDialsOut: Step = [
  "an agent dials a customer from the softphone: out through the project's gateway, recorded, billed, logged",
  async (c) => {
    const { w, lab } = c;
    const agent = w.autoAgents[0]!.username;
    const phone = w.phones.get(agent)!;
    const number = '13600000701';
    await phone.dial(number);
    const log = await waitFor(
      'the call log of the agent’s own call',
      () =>
        lab.sql<Record<string, unknown>>(
          'SELECT * FROM call_logs WHERE destination_number = ? AND result IS NOT NULL',
          number,
        )[0],
      30_000,
      500,
    );
    check(Number(log.result) === 10 && Number(log.result_detail) === 55, 'result 10/55', log);
    check(log.caller_id_number === agent, 'the agent is named', log);
    check(Number(log.billsec) >= 6 && Number(log.price_cal) > 0, 'the talk is billed', log);
    check(log.record_file && existsSync(String(log.record_file)), 'the call is recorded', log);
    const seen = lab
      .carrierEvents()
      .filter((e) => e.number === number)
      .map((e) => e.event);
    check(seen.includes('answered') && seen.includes('bye-sent'), 'the carrier answered and hung up', seen);
    // Something that is not a phone number is refused: a notice, and the phone hears the unavailable tone.
    const n = notices(c, agent);
    await phone.dial('abc1234');
    const refused = await notice(c, agent, 'error', n);
    await sleep(1000);
    await phone.hangup();
    return `billsec ${log.billsec}; refusal: ${refused.data}`;
  },
];

const agentDialsOutNoTask: Step = [
  "with every task ended, an agent still calls a customer back, through the project's default gateway (#17.11)",
  async (c) => {
    const { w, lab } = c;
    const open = lab.sql<{ code: string }>(
      `SELECT t.call_task_code AS code FROM tasks t JOIN projects p ON p.id = t.project_id
       WHERE p.project_code = ? AND t.status != 4`,
      w.project,
    );
    for (const { code } of open)
      await lab.ok('POST', '/callcenter/callTask/api/callTaskEnd/v1', { callTaskCode: code });
    await lab.ok('POST', '/callcenter/callProject/api/setDefaultGateway/v1', {
      projectCode: w.project,
      defaultGwCode: GW,
    });
    const agent = w.autoAgents[0]!.username;
    const number = '13600000702';
    await w.phones.get(agent)!.dial(number);
    const log = await waitFor(
      'the call log of the agent’s call with no task open',
      () =>
        lab.sql<Record<string, unknown>>(
          'SELECT * FROM call_logs WHERE destination_number = ? AND result IS NOT NULL',
          number,
        )[0],
      30_000,
      500,
    );
    check(Number(log.result) === 10 && Number(log.result_detail) === 55, 'result 10/55', log);
    check(log.caller_id_number === agent && log.task_id === null, 'the agent is named, no task', log);
    return `${open.length} tasks ended; billsec ${log.billsec}`;
  },
];

export const groups: Record<string, Step[]> = {
  // Four tasks of one project in turn: the finished ones still run, and must not keep a share of the agents (#14.2).
  outbound: [world(3, [2]), directCall, failures, agentFirst, agentFirstCap, agentRejects],
  voices: [world(2), playOnly, playThenAgent, agentDials],
  inbound: [world(2), inbound, queueTimeout, agentCodes, offHook, agentDialsOut, agentDialsOutNoTask],
  faults: [world(2), crash, eslReload, fsRestart, disable],
  supervisor: [world(2), eavesdrop, playVoice, transfer, conference, pmCall, supervisorRestart],
};

export { sleep };
