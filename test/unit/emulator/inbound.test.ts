import t from 'tap';
import { startEmulator } from '../../freeswitch-emulator/index.js';
import { TestClient, get, isEvent } from '../../freeswitch-emulator/test-client.js';

async function session(options: Parameters<typeof startEmulator>[0] = {}) {
  const emu = await startEmulator({ timeScale: 0.01, ...options });
  const client = await TestClient.connect(emu.port);
  await client.next((f) => get(f, 'Content-Type') === 'auth/request');
  await client.reply('auth ClueCon');
  return { emu, client };
}

t.test('given a wrong password, the client gets -ERR invalid, the notice and a close', async (t) => {
  const emu = await startEmulator();
  t.teardown(() => emu.close());
  const client = await TestClient.connect(emu.port);
  await client.next();
  const reply = await client.reply('auth WrongPassword');
  t.equal(get(reply, 'Reply-Text'), '-ERR invalid');
  const notice = await client.next();
  t.same(notice.headers, [
    ['Content-Type', 'text/disconnect-notice'],
    ['Content-Length', '67'],
  ]);
  await client.waitClosed();
});

t.test('before auth, commands other than auth and exit get no reply; exit says goodbye', async (t) => {
  const emu = await startEmulator();
  t.teardown(() => emu.close());
  const client = await TestClient.connect(emu.port);
  await client.next();
  client.send('api version');
  t.equal(get(await client.reply('exit'), 'Reply-Text'), '+OK bye');
  t.same(
    client.frames.map((f) => get(f, 'Content-Type')).filter((type) => type !== 'text/disconnect-notice'),
    ['auth/request', 'command/reply'],
    'nothing answered the api command',
  );
  await client.waitClosed();
});

t.test('when the client sends unknown commands, the replies are the captured ones', async (t) => {
  const { emu, client } = await session();
  t.teardown(() => emu.close());
  t.equal(get(await client.reply('bogus_command'), 'Reply-Text'), '-ERR command not found');
  t.equal((await client.reply('api no_such_command')).body, '-ERR no_such_command Command not found!\n');
  t.equal((await client.reply('api show channels as json')).body, '{"row_count": 0}\n');
  t.equal((await client.reply('api version')).body, 'FreeSWITCH Version 1.11.1-release~64bit ( 64bit)\n');
  client.close();
});

t.test(
  'given an answering peer, bgapi originate reports +OK right after CHANNEL_ANSWER, then park runs',
  async (t) => {
    const { emu, client } = await session();
    t.teardown(() => emu.close());
    await client.reply('event plain ALL');
    const reply = await client.reply(
      'bgapi originate {origination_uuid=u-1,origination_caller_id_number=1000,cc_role=customer}sofia/gateway/gw1/13800000000 &park()',
    );
    const job = get(reply, 'Job-UUID');
    t.match(get(reply, 'Reply-Text'), /^\+OK Job-UUID: /);
    await client.next(isEvent('CHANNEL_CREATE', 'u-1'));
    await client.next(isEvent('CHANNEL_ANSWER', 'u-1'));
    const bg = await client.next(isEvent('BACKGROUND_JOB'));
    t.equal(bg.event?.['Job-UUID'], job);
    t.equal(bg.event?._body, '+OK u-1\n');
    const exec = await client.next(isEvent('CHANNEL_EXECUTE', 'u-1'));
    t.equal(exec.event?.Application, 'park');
    t.equal(exec.event?.variable_cc_role, 'customer');
    t.equal((await client.reply('api uuid_kill u-1')).body, '+OK\n');
    const done = await client.next(isEvent('CHANNEL_HANGUP_COMPLETE', 'u-1'));
    t.equal(done.event?.['Hangup-Cause'], 'NORMAL_CLEARING');
    t.equal(done.event?.variable_sip_hangup_disposition, 'send_bye');
    await client.next(isEvent('CHANNEL_DESTROY', 'u-1'));
    client.send('exit');
    await client.waitClosed();
  },
);

t.test('given a busy peer, HANGUP_COMPLETE comes before BACKGROUND_JOB -ERR USER_BUSY', async (t) => {
  const { emu, client } = await session({ peers: { '486': { kind: 'busy' } } });
  t.teardown(() => emu.close());
  await client.reply('event plain CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB');
  await client.reply('bgapi originate {origination_uuid=b-1}sofia/external/486@127.0.0.1 &park()');
  const first = await client.next((f) => !!f.event);
  t.equal(first.event?.['Event-Name'], 'CHANNEL_HANGUP_COMPLETE');
  t.equal(first.event?.variable_sip_term_status, '486');
  t.equal(first.event?.variable_sip_hangup_disposition, 'recv_refuse');
  const bg = await client.next(isEvent('BACKGROUND_JOB'));
  t.equal(bg.event?._body, '-ERR USER_BUSY\n');
  client.close();
});

t.test(
  'given a peer that never answers, BACKGROUND_JOB -ERR NO_ANSWER comes before HANGUP_COMPLETE',
  async (t) => {
    const { emu, client } = await session({ peers: { '487': { kind: 'no-answer' } } });
    t.teardown(() => emu.close());
    await client.reply('event json CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB');
    await client.reply(
      'bgapi originate {origination_uuid=n-1,originate_timeout=5}sofia/external/487@127.0.0.1 &park()',
    );
    const first = await client.next((f) => !!f.event);
    t.equal(first.event?.['Event-Name'], 'BACKGROUND_JOB');
    t.equal(first.event?._body, '-ERR NO_ANSWER\n');
    const done = await client.next(isEvent('CHANNEL_HANGUP_COMPLETE'));
    t.equal(done.event?.variable_sip_hangup_disposition, 'send_cancel');
    client.close();
  },
);

t.test(
  'given an unregistered extension, user/EXT fails with USER_NOT_REGISTERED; registered, it answers',
  async (t) => {
    const { emu, client } = await session();
    t.teardown(() => emu.close());
    await client.reply('event plain CUSTOM sofia::register');
    t.equal((await client.reply('api originate user/1001 &park()')).body, '-ERR USER_NOT_REGISTERED\n');
    emu.register('1001');
    const reg = await client.next((f) => f.event?.['Event-Subclass'] === 'sofia::register');
    t.equal(reg.eventOrder?.[0], 'Event-Subclass');
    t.match((await client.reply('api originate user/1001 &park()')).body, /^\+OK [0-9a-f-]{36}\n$/);
    t.match((await client.reply('api show registrations as json')).body, /"row_count":1/);
    client.close();
  },
);

t.test('over the sessions-per-second limit, originate fails with DESTINATION_OUT_OF_ORDER', async (t) => {
  const { emu, client } = await session({ sessionsPerSecond: 1, timeScale: 1 });
  t.teardown(() => emu.close());
  t.match((await client.reply('api originate sofia/external/1@x &park()')).body, /^\+OK/);
  t.equal(
    (await client.reply('api originate sofia/external/2@x &park()')).body,
    '-ERR DESTINATION_OUT_OF_ORDER\n',
  );
  client.close();
});

t.test('filters let only matching events through; nixevent and noevents stop them', async (t) => {
  const { emu, client } = await session();
  t.teardown(() => emu.close());
  await client.reply('event plain CHANNEL_CREATE BACKGROUND_JOB');
  t.equal(
    get(await client.reply('filter Unique-ID f-1'), 'Reply-Text'),
    '+OK filter added. [Unique-ID]=[f-1]',
  );
  await client.reply('bgapi originate {origination_uuid=f-2}sofia/external/1@x &park()');
  await client.reply('bgapi originate {origination_uuid=f-1}sofia/external/2@x &park()');
  const created = await client.next((f) => !!f.event);
  t.equal(created.event?.['Unique-ID'], 'f-1');
  t.equal(get(await client.reply('filter delete all'), 'Reply-Text'), '+OK filter deleted. [all][]');
  t.equal(get(await client.reply('noevents'), 'Reply-Text'), '+OK no longer listening for events');
  client.close();
});
