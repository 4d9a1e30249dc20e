import { eq } from 'drizzle-orm';
import t from 'tap';
import { callLogs } from '../../src/db/schema.js';
import { supervisorScene } from './supervisor-scene.js';

type Notice = { msgType: string; data: string };
const isSuccess = (m: Notice) => m.msgType === 'success';
const isError = (m: Notice) => m.msgType === 'error';

t.test(
  'the agent plays a voice to the customer during the call and stops it; the call goes on',
  async (t) => {
    const s = await supervisorScene('si1', 2, { emulator: { defaultPlaybackMs: 10_000_000 } });
    t.teardown(s.h.close);
    await s.h.app.ctx.repos.voices.insert(
      { voiceCode: 'terms', qiniuKey: null, filePath: '/var/voices/terms.wav' },
      0,
    );
    const callId = await s.customerCall('13600000001');
    const call = s.h.app.runner.live.get(callId)!;
    const agent = call.agent!;
    const me = await s.login(agent);
    me.send('/app/playVoice', { username: agent, callId, voiceCode: 'terms' });
    t.match(await me.next<Notice>(s.notify(agent), isSuccess), { data: /terms/ });
    t.ok(
      s.h.fs.commands.some((c) => c.line === `api uuid_broadcast ${call.uuid} /var/voices/terms.wav aleg`),
      'uuid_broadcast on the customer leg',
    );
    await s.h.fs.waitFor(() =>
      s.h.fs.channels().find((c) => c.uuid === call.uuid && c.application === 'playback'),
    );
    const stops: string[] = [];
    t.teardown(
      s.h.fs.onEvent((e) => {
        if (e.name === 'PLAYBACK_STOP' && e.uuid === call.uuid)
          stops.push(e.headers.find(([k]) => k === 'Playback-Status')?.[1] ?? '');
      }),
    );
    me.send('/app/stopPlayVoice', { username: agent, callId, voiceCode: 'terms' });
    t.match(await me.next<Notice>(s.notify(agent), (m) => isSuccess(m) && /停止/.test(m.data)), {});
    t.ok(s.h.fs.commands.some((c) => c.line === `api uuid_break ${call.uuid} all`));
    await s.h.fs.waitFor(() => stops.length > 0);
    t.same(stops, ['break'], 'the voice was interrupted');
    t.ok(
      s.h.fs.channels().find((c) => c.uuid === call.uuid)?.bridgedTo,
      'the customer is still with the agent',
    );
    t.equal(s.h.app.ctx.services.agents.get(agent)?.state.sessionStatus, 10);

    me.send('/app/playVoice', { username: agent, callId, voiceCode: 'missing' });
    t.match(await me.next<Notice>(s.notify(agent), isError), { data: /no voice missing/ });
    me.send('/app/playVoice', { username: agent, callId: 'gone', voiceCode: 'terms' });
    t.match(await me.next<Notice>(s.notify(agent), (m) => isError(m) && /gone/.test(m.data)), {
      data: /no such call/,
    });
    const other = s.agents.find((a) => a !== agent)!;
    const them = await s.login(other);
    them.send('/app/playVoice', { username: other, callId, voiceCode: 'terms' });
    t.match(await them.next<Notice>(s.notify(other), isError), { data: /not yours/ });
    const boss = await s.login(s.manager);
    boss.send('/app/stopPlayVoice', { username: agent, callId });
    t.match(await boss.next<Notice>(s.notify(s.manager), isError), {
      data: /only for the agent on the call/,
    });
  },
);

t.test(
  'the agent transfers the customer to a named colleague; the call log follows the customer',
  async (t) => {
    const s = await supervisorScene('si2', 3);
    t.teardown(s.h.close);
    const agents = s.h.app.ctx.services.agents;
    const callId = await s.customerCall('13600000002');
    const call = s.h.app.runner.live.get(callId)!;
    const from = call.agent!;
    const [to, third] = s.agents.filter((a) => a !== from) as [string, string];
    const me = await s.login(from, [`/topic/bye/${from}`]);
    const colleague = await s.login(to, [`/topic/transfer/${to}`, `/topic/call/${to}`]);
    const oldLeg = s.h.fs.channels().find((c) => c.uuid === call.uuid)!.bridgedTo!;

    me.send('/app/transfer', { username: from, callId, otherUsername: to });
    t.match(await me.next<Notice>(s.notify(from), isSuccess), { data: new RegExp(to) });
    t.same(
      await colleague.next(`/topic/transfer/${to}`),
      { callId, username: from, telNo: '13600000002' },
      'the colleague is told who transferred which customer',
    );
    t.match(await colleague.next(`/topic/call/${to}`), { callId });
    t.match(await me.next(`/topic/bye/${from}`), { callId });
    await s.h.fs.waitFor(() => agents.get(to)?.state.sessionStatus === 10);
    t.match(agents.get(from)?.state, { sessionStatus: 0, callId: null }, 'the first agent is free');
    t.notOk(
      s.h.fs.channels().some((c) => c.uuid === oldLeg),
      "the first agent's leg is gone",
    );
    t.equal(s.h.app.runner.live.get(callId)?.agent, to);
    t.equal(agents.get(third)?.state.reserved, false);

    s.h.fs.remoteHangup(call.uuid);
    const log = await s.h.fs.waitFor(() =>
      s.h.store.db.select().from(callLogs).where(eq(callLogs.callUuid, callId)).get(),
    );
    t.match(log, { result: 10, callerIdNumber: to }, 'one call log, with the agent who finished the call');
  },
);

t.test('transfer refusals: busy colleague, not your call, yourself; nothing stays reserved', async (t) => {
  const s = await supervisorScene('si3', 3);
  t.teardown(s.h.close);
  const agents = s.h.app.ctx.services.agents;
  const callId = await s.customerCall('13600000003');
  const from = s.h.app.runner.live.get(callId)!.agent!;
  const [busy, free] = s.agents.filter((a) => a !== from) as [string, string];
  agents.setWork(busy, 0);
  const me = await s.login(from);
  me.send('/app/transfer', { username: from, callId, otherUsername: busy });
  t.match(await me.next<Notice>(s.notify(from), isError), { data: new RegExp(`${busy} is not available`) });
  me.send('/app/transfer', { username: from, callId, otherUsername: from });
  t.match(await me.next<Notice>(s.notify(from), (m) => isError(m) && /yourself/.test(m.data)), {});
  const them = await s.login(free);
  them.send('/app/transfer', { username: free, callId, otherUsername: busy });
  t.match(await them.next<Notice>(s.notify(free), isError), { data: /not yours/ });
  t.match(agents.get(free)?.state, { reserved: false, sessionStatus: 0 });
  t.match(agents.get(from)?.state, { sessionStatus: 10, callId });

  // Without otherUsername: the longest-idle available colleague.
  me.send('/app/transfer', { username: from, callId });
  t.match(await me.next<Notice>(s.notify(from), isSuccess), { data: new RegExp(free) });
  await s.h.fs.waitFor(() => agents.get(free)?.state.sessionStatus === 10);
});
