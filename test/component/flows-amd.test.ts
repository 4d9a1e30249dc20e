// Answering-machine detection end to end against the emulator (issue 23): the customer answers with a synthesised
// recording (test/support/amd-audio.ts), FreeSWITCH's unicast streams it to our UDP listener, the classifier decides,
// and a person reaches an agent while a machine gets the task's message after its beep, or a hang-up.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { amdTestSet, loadClip } from '../support/amd-audio.js';
import { startCallHarness, type CallHarness } from '../support/calls.js';
import { logOf, setTask, waitFor } from './flows-support.js';

async function clip(name: RegExp): Promise<Int16Array> {
  const spec = amdTestSet().find((s) => name.test(s.name));
  if (!spec) throw new Error(`no clip ${name}`);
  return (await loadClip(spec)).pcm;
}

let n = 0;
/** What the dialer does: the answered customer leg, with our variables, to the socket. */
async function dial(
  h: CallHarness,
  number: string,
  task: string,
  project: string,
  flow = 'direct',
): Promise<string> {
  const callId = `00000000-0000-4000-8023-${String(++n).padStart(12, '0')}`;
  const v = {
    origination_uuid: callId,
    cc_call_id: callId,
    cc_role: 'customer',
    cc_number: number,
    cc_flow: flow,
    cc_task: task,
    cc_project: project,
    ...h.socketLeg(callId, flow),
  };
  const block = `{${Object.entries(v)
    .map(([k, x]) => `${k}=${x}`)
    .join(',')}}`;
  const r = await h.app.nodes.bgapi(1, `originate ${block}sofia/gateway/gw1/${number} '&${h.socketApp}'`);
  if (!r.ok) throw new Error(`originate: ${r.error.text}`);
  return callId;
}

/** The leg's commands in order: sendmsg call-commands and applications, as `unicast` / `app:arg`. */
function legCommands(h: CallHarness, callId: string): string[] {
  return h.fs.commands
    .filter((c) => c.from === callId && c.line.startsWith('sendmsg'))
    .map((c) => {
      const get = (k: string) => c.headers.find(([name]) => name.toLowerCase() === k)?.[1] ?? '';
      const cmd = get('call-command');
      return cmd === 'execute' ? `${get('execute-app-name')}:${get('execute-app-arg')}` : cmd;
    });
}

async function voice(h: CallHarness, code: string, filePath: string): Promise<void> {
  const now = h.app.ctx.clock.now();
  await h.exec(
    sql`insert into voices (voice_code, file_path, created_at, updated_at) values (${code}, ${filePath}, ${now}, ${now})`,
  );
}

// The emulator runs 10× faster than real time here, so a 6 s greeting takes 0.6 s.
const fast = { emulator: { timeScale: 0.1 } };
// A person's greeting at or near real time. The stream starts where the leg's audio stands when our unicast arrives
// (as on the real switch), and the emulator runs in the test's process: a stall of a loaded test machine before it
// is that stall times the speed-up in audio. At 10× a 60 ms stall is 0.6 s, the whole "Hello?" unheard and the
// silence taken for a machine's; at 2× a 300 ms stall (seen with the suite beside four busy processes) still hides
// a "Hello?" said 0.3 s after the answer, so that one runs in real time, where a stall costs what it would on a
// real switch. A greeting that starts 1 s after the answer runs at 2×.
const realTime = { emulator: { timeScale: 1 } };
const person = { emulator: { timeScale: 0.5 } };

t.test(
  'a person who says "Hello?" is put through to an agent at once; the call log says human',
  async (t) => {
    const h = await startCallHarness(realTime);
    t.teardown(h.close);
    const [a1] = await h.project('pa1', 1);
    const task = await h.task({ code: 'ta1', projectCode: 'pa1', scheduleType: 1 });
    await setTask(h, task, { amd: 1 });
    h.fs.setPeer('13900230001', {
      kind: 'answer',
      audio: await clip(/^human-en-Hello-s175-lead0.3$/),
      hangupAfterMs: 4000,
    });
    const callId = await dial(h, '13900230001', 'ta1', 'pa1');
    const log = await waitFor(async () => {
      const log = await logOf(h, callId);
      return log?.resultDetail ? log : undefined;
    }, 8000);
    t.match(log, { result: 10, resultDetail: 55, callerIdNumber: a1, amdVerdict: 'human' });
    t.ok((log?.amdMs ?? 0) > 0 && (log?.amdMs ?? 0) < 2500, `decided after ${log?.amdMs} ms of audio`);
    const cmds = legCommands(h, callId);
    t.equal(cmds[0], 'unicast', 'the audio is streamed first');
    t.ok(
      cmds.some((c) => c.startsWith('bridge:')),
      'then the task flow runs: the agent is bridged',
    );
    t.equal(h.app.amdStreams.held, 0, 'the stream port is free again once the leg is over');
  },
);

t.test(
  'a machine gets the voice file after its beep, then a hang-up: result 20 / 61, no agent offered',
  async (t) => {
    const h = await startCallHarness(fast);
    t.teardown(h.close);
    const [a1] = await h.project('pa2', 1);
    const task = await h.task({ code: 'ta2', projectCode: 'pa2', scheduleType: 1 });
    await voice(h, 'vm1', '/var/voices/leave-a-message.wav');
    await setTask(h, task, { amd: 1, amdMachineAction: 'message', amdVoiceCode: 'vm1' });
    const machine = amdTestSet().find((s) => /^machine-en-Hello-you-have-s210-lead0.4$/.test(s.name));
    const greeting = await loadClip(machine!);
    h.fs.setPeer('13900230002', { kind: 'answer', audio: greeting.pcm });
    let played: number | undefined;
    let answered: number | undefined;
    h.fs.onEvent((e) => {
      const get = (k: string) => e.headers.find(([name]) => name === k)?.[1];
      if (e.name === 'CHANNEL_ANSWER' && get('Unique-ID')?.startsWith('00000000-0000-4000-8023'))
        answered ??= Date.now();
      if (e.name === 'CHANNEL_EXECUTE' && get('Application-Data') === '/var/voices/leave-a-message.wav')
        played = Date.now();
    });
    const callId = await dial(h, '13900230002', 'ta2', 'pa2');
    const log = await waitFor(async () => {
      const log = await logOf(h, callId);
      return log?.resultDetail ? log : undefined;
    }, 8000);
    t.match(log, { result: 20, resultDetail: 61, amdVerdict: 'machine', callerIdNumber: null });
    t.same(
      legCommands(h, callId),
      ['unicast', 'playback:/var/voices/leave-a-message.wav', 'hangup'],
      'the stream, the message and the hang-up: no recording, no bridge',
    );
    // The beep starts where the speech ends; at timeScale 0.1 one emulated second is 100 ms.
    const playedAtEmulatedS = ((played ?? 0) - (answered ?? 0)) / 100;
    t.ok(
      playedAtEmulatedS >= greeting.speechEndSeconds,
      `the message starts after the beep (${playedAtEmulatedS.toFixed(1)} s, beep at ${greeting.speechEndSeconds.toFixed(1)} s)`,
    );
    t.equal(h.app.ctx.services.agents.get(a1)?.state.reserved, false, 'no agent was ever reserved');
    t.equal(log?.abandoned, null, 'a machine is never a live answer, so never abandoned');
  },
);

t.test('a machine with the hang-up action is hung up on at the verdict: 20 / 60', async (t) => {
  const h = await startCallHarness(fast);
  t.teardown(h.close);
  await h.project('pa3', 1);
  const task = await h.task({ code: 'ta3', projectCode: 'pa3', scheduleType: 1 });
  await setTask(h, task, { amd: 1 });
  h.fs.setPeer('13900230003', { kind: 'answer', audio: await clip(/^machine-cmn-.*-s175-lead0.4$/) });
  const callId = await dial(h, '13900230003', 'ta3', 'pa3');
  const log = await waitFor(async () => {
    const log = await logOf(h, callId);
    return log?.resultDetail ? log : undefined;
  }, 8000);
  t.match(log, { result: 20, resultDetail: 60, amdVerdict: 'machine' });
  t.same(legCommands(h, callId), ['unicast', 'hangup'], 'hung up without any application');
  await h.app.wallboard.sampleAll();
  t.match(
    h.app.wallboard.lastHour('pa3').at(-1),
    { machinesLastHour: 1, liveAnswersLastHour: 0, waiting: 0 },
    'the wallboard counts the machine, not as a live answer',
  );
});

t.test('without amd the leg is not analysed (no unicast) and the log carries no verdict', async (t) => {
  const h = await startCallHarness(fast);
  t.teardown(h.close);
  await h.project('pa4', 1);
  await h.task({ code: 'ta4', projectCode: 'pa4', scheduleType: 1 });
  h.fs.setPeer('13900230004', {
    kind: 'answer',
    audio: await clip(/^human-en-Hello-s175-lead0.3$/),
    hangupAfterMs: 3000,
  });
  const callId = await dial(h, '13900230004', 'ta4', 'pa4');
  const log = await waitFor(async () => {
    const log = await logOf(h, callId);
    return log?.resultDetail ? log : undefined;
  }, 8000);
  t.match(log, { result: 10, amdVerdict: null });
  t.notOk(legCommands(h, callId).includes('unicast'));
});

t.test(
  'a stream that never comes (no free port) goes on as "not sure": the person still reaches an agent',
  async (t) => {
    const h = await startCallHarness({
      ...fast,
      config: { amd: { host: '127.0.0.1', port: 0, fsIp: '127.0.0.1', fsPorts: [1, 0] } },
    });
    t.teardown(h.close);
    const [a1] = await h.project('pa5', 1);
    const task = await h.task({ code: 'ta5', projectCode: 'pa5', scheduleType: 1 });
    await setTask(h, task, { amd: 1 });
    h.fs.setPeer('13900230005', { kind: 'answer', hangupAfterMs: 3000 });
    const callId = await dial(h, '13900230005', 'ta5', 'pa5');
    const log = await waitFor(async () => {
      const log = await logOf(h, callId);
      return log?.resultDetail ? log : undefined;
    }, 8000);
    t.match(log, { result: 10, callerIdNumber: a1, amdVerdict: 'notsure' });
  },
);

t.test("scheduleType 2 with amd: a person hears the task's prompt, then reaches the agent", async (t) => {
  const h = await startCallHarness(person);
  t.teardown(h.close);
  const [a1] = await h.project('pa6', 1);
  const task = await h.task({
    code: 'ta6',
    projectCode: 'pa6',
    scheduleType: 2,
    voiceFile: '/var/voices/prompt.wav',
  });
  await setTask(h, task, { amd: 1 });
  h.fs.setPeer('13900230006', {
    kind: 'answer',
    audio: await clip(/^human-cmn-wei2-ni3-hao3-s175-lead1$/),
    hangupAfterMs: 8000,
  });
  const callId = await dial(h, '13900230006', 'ta6', 'pa6', 'play-agent');
  const log = await waitFor(async () => {
    const log = await logOf(h, callId);
    return log?.resultDetail ? log : undefined;
  }, 8000);
  t.match(log, { result: 10, callerIdNumber: a1, amdVerdict: 'human' });
  const cmds = legCommands(h, callId);
  t.equal(cmds[0], 'unicast');
  t.ok(
    cmds.indexOf('playback:/var/voices/prompt.wav') > 0 &&
      cmds.findIndex((c) => c.startsWith('bridge:')) > cmds.indexOf('playback:/var/voices/prompt.wav'),
    `the prompt after the verdict, then the agent (${cmds.join(' ')})`,
  );
});
