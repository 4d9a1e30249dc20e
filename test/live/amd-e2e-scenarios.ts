// Answering-machine detection end to end on the real FreeSWITCH (group "amd", after the unicast facts): tasks with
// `amd` dial customers that answer with synthesised recordings (amd-callee.ts: sipp answers, this process carries
// the media and keeps what the customer heard). A person reaches the agent's phone (its 440 Hz tone reaches the
// customer); a machine gets the task's message (a 1500 Hz voice file) after its beep, or a hang-up; the call logs
// say which.
import { readFileSync } from 'node:fs';
import { connectStomp } from '../support/stomp-client.js';
import { amdTestSet, loadClip, ulawPathOf, type Clip } from '../support/amd-audio.js';
import { toneTimeline } from '../support/tones.js';
import { RtpCallee } from './amd-callee.js';
import { waitFor, type Lab } from './lab.js';

type Step = [string, (c: { lab: Lab }) => Promise<string | void>];

const AGENT_HZ = 440;
const MESSAGE_HZ = 1500;

function check(cond: unknown, what: string, detail?: unknown): asserts cond {
  if (!cond) throw new Error(`${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
}

async function clip(name: RegExp): Promise<Clip> {
  const spec = amdTestSet().find((s) => name.test(s.name));
  if (!spec) throw new Error(`no clip ${name}`);
  return loadClip(spec);
}

interface Stage {
  project: string;
  agent: string;
  /** Customers by gateway: each gateway's realm is one callee's SIP port. */
  ports: Record<string, number>;
}

let stage: Promise<Stage> | undefined;

/** One project with one agent (a baresip phone sending 440 Hz), a gateway per callee, and the machine's message. */
function setUp(lab: Lab): Promise<Stage> {
  stage ??= (async () => {
    const project = `amd${process.pid}`;
    await lab.ok('POST', '/callcenter/callProject/api/createProject/v1', { projectCode: project, seats: 1 });
    const [agent] = lab.sql<{ username: string; password: string }>(
      `SELECT e.username, e.password FROM extensions e JOIN projects p ON p.id = e.project_id
       WHERE p.project_code = ? AND e.type = 2`,
      project,
    );
    check(agent, 'the project has an agent');
    await lab.startPhone(agent.username, agent.password, 5400, 'auto', AGENT_HZ);
    await waitFor(
      'the agent registered',
      () =>
        lab.sql<{ n: number }>('SELECT reg_status n FROM extensions WHERE username = ?', agent.username)[0]
          ?.n === 1,
      20_000,
      200,
    );
    const stomp = await connectStomp('http://127.0.0.1:8080', agent.username, agent.password);
    lab.onClose(async () => stomp.close());
    await lab.ok('POST', '/callcenter/callProject/api/setWorkStatus/v1', {
      username: agent.username,
      workStatus: 1,
    });
    const ports = { amdh: 5301, amdm: 5302, amdx: 5303 };
    for (const [gwCode, port] of Object.entries(ports))
      await lab.ok('POST', '/freeswitch/gateway/api/add/v1', {
        gwCode,
        gwName: gwCode,
        registerType: 1,
        realm: `127.0.0.1:${port}`,
        status: 1,
        returnVisit: 0,
        expectCount: 2,
        billType: 2,
        billsec: 6,
        price: 0.1,
      });
    await waitFor(
      'the callee gateways in sofia',
      () => Object.keys(ports).every((gw) => lab.fsCli('sofia status gateway').includes(gw)),
      15_000,
      250,
    );
    const form = new FormData();
    form.set('voiceCode', 'amdmessage');
    // 3 s of the message's own tone (the WAV header still says 60 s: FreeSWITCH plays what is there).
    form.set(
      'file',
      new Blob([readFileSync(lab.toneFile(MESSAGE_HZ)).subarray(0, 44 + 8000 * 2 * 3)]),
      'm.wav',
    );
    await lab.upload('/callcenter/callProject/api/uploadVoiceFile/v1', form);
    return { project, agent: agent.username, ports };
  })();
  return stage;
}

let seq = 0;

/**
 * Submits and starts a task with AMD on one gateway; `during` runs while the call is up (a person's call is ended
 * there); returns the call log once it has a result and the CDR.
 */
async function runTask(
  lab: Lab,
  s: Stage,
  gw: string,
  number: string,
  amd: Record<string, string | number>,
  during: () => Promise<void> = async () => undefined,
) {
  const code = `amd${process.pid}x${++seq}`;
  const { callListId } = await lab.ok<{ callListId: number }>('POST', '/callcenter/callList/api/create/v1', {
    name: code,
  });
  await lab.ok('POST', '/callcenter/callList/api/append/v1', {
    callListId,
    numbers: JSON.stringify([number]),
  });
  await lab.ok('POST', '/callcenter/callTask/api/submitCallTask/v1', {
    callTaskCode: code,
    callType: 1,
    scheduleType: 1,
    callGWs: JSON.stringify([{ code: gw, concurrency: 1 }]),
    callListId,
    expiredTime: String(Date.now() + 3600_000),
    projectCode: s.project,
    rate: 1,
    amd: 1,
    ...amd,
  });
  await lab.ok('POST', '/callcenter/callTask/api/callTaskStart/v1', { callTaskCode: code });
  await during();
  const log = await waitFor(
    `the call log of ${code}`,
    () =>
      lab.sql<Record<string, unknown>>(
        `SELECT * FROM call_logs WHERE call_task_code = ? AND result IS NOT NULL AND cdr_received = 1`,
        code,
      )[0],
    90_000,
    250,
  );
  await lab.ok('POST', '/callcenter/callTask/api/callTaskEnd/v1', { callTaskCode: code });
  return log;
}

/** When (ms since the epoch) the customer first heard `hz` for 200 ms, or null. */
function firstHeard(callee: RtpCallee, hz: number): number | null {
  // Full scale of 16-bit samples is 1.0 in the tone reader.
  const samples = Float32Array.from(callee.heardPcm(), (x) => x / 32768);
  const timeline = toneTimeline({ rate: 8000, samples }, [hz]);
  for (let i = 0; i + 1 < timeline.length; i++)
    if (timeline[i]!.has(hz) && timeline[i + 1]!.has(hz)) return callee.heard[i * 5]?.at ?? null;
  return null;
}

const personReachesAgent: Step = [
  'a task with amd: a person who says "Hello?" is put through to the agent at once; the call log says human',
  async ({ lab }) => {
    const s = await setUp(lab);
    const human = await clip(/^human-en-Hello-s175-lead0.3$/);
    const callee = await RtpCallee.start(lab, s.ports.amdh, ulawPathOf(human));
    let agentAt: number | null = null;
    const log = await runTask(lab, s, 'amdh', '13923000001', {}, async () => {
      agentAt = await waitFor(
        "the customer hearing the agent's phone",
        () => firstHeard(callee, AGENT_HZ),
        30_000,
        100,
      );
      // Nobody hangs up a person's call here: the system does once the agent is heard (result 10/50).
      lab.fsCli('hupall NORMAL_CLEARING');
    });
    check(log.amd_verdict === 'human', 'the detector heard a person', log);
    check(Number(log.result) === 10 && log.caller_id_number === s.agent, 'the agent talked with them', log);
    check(
      agentAt !== null && callee.sendingSince !== null,
      "the customer heard the agent's phone",
      callee.heard.length,
    );
    const firstWordToAgent = agentAt - (callee.sendingSince + human.spec.leadSeconds * 1000);
    return `verdict after ${String(log.amd_ms)} ms of audio; answer → agent ${String(log.agent_wait_ms)} ms; first word → agent heard ${firstWordToAgent} ms; abandoned ${String(log.abandoned)}`;
  },
];

const machineGetsMessage: Step = [
  'a task with amd and a message: a machine gets the voice file after its beep, then a hang-up (20/61), no agent',
  async ({ lab }) => {
    const s = await setUp(lab);
    const machine = await clip(/^machine-en-Hello-you-have-s210-lead0.4$/);
    const callee = await RtpCallee.start(lab, s.ports.amdm, ulawPathOf(machine));
    const log = await runTask(lab, s, 'amdm', '13923000002', {
      amdMachineAction: 'message',
      amdVoiceCode: 'amdmessage',
    });
    check(
      Number(log.result) === 20 && Number(log.result_detail) === 61 && log.amd_verdict === 'machine',
      'the call log says: answering machine, message left',
      log,
    );
    check(log.caller_id_number === null && log.abandoned === null, 'no agent, and not an abandon', log);
    const messageAt = firstHeard(callee, MESSAGE_HZ);
    check(
      messageAt !== null && callee.sendingSince !== null,
      'the customer heard the message',
      callee.heard.length,
    );
    const beepAt = callee.sendingSince + machine.speechEndSeconds * 1000;
    check(messageAt >= beepAt, 'the message starts after the beep', { messageAt, beepAt });
    check(firstHeard(callee, AGENT_HZ) === null, "and never the agent's phone");
    check(
      callee.events().some((e) => e.startsWith('CC bye-received')),
      'FreeSWITCH hung up after the message',
      callee.events(),
    );
    return `machine (${String(log.amd_ms)} ms of audio), message heard ${messageAt - beepAt} ms after the beep started, billsec ${String(log.billsec)}`;
  },
];

const machineHungUpOn: Step = [
  'a task with amd that hangs up on machines: a Mandarin voicemail greeting is hung up on at the verdict (20/60)',
  async ({ lab }) => {
    const s = await setUp(lab);
    const machine = await clip(/^machine-cmn-nin2-hao3-nin2-s175-lead0.4$/);
    const callee = await RtpCallee.start(lab, s.ports.amdx, ulawPathOf(machine));
    const log = await runTask(lab, s, 'amdx', '13923000003', {});
    check(
      Number(log.result) === 20 && Number(log.result_detail) === 60 && log.amd_verdict === 'machine',
      'the call log says: answering machine',
      log,
    );
    check(
      callee.events().some((e) => e.startsWith('CC bye-received')),
      'FreeSWITCH hung up',
      callee.events(),
    );
    check(
      firstHeard(callee, MESSAGE_HZ) === null && firstHeard(callee, AGENT_HZ) === null,
      'nothing was played',
    );
    return `machine after ${String(log.amd_ms)} ms of audio (greeting ${machine.speechEndSeconds.toFixed(1)} s), billsec ${String(log.billsec)}`;
  },
];

export const amdEndToEnd: Step[] = [personReachesAgent, machineGetsMessage, machineHungUpOn];
