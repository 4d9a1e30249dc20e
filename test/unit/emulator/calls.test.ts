import t from 'tap';
import type { Test } from 'tap';
import { startEmulator } from '../../freeswitch-emulator/index.js';
import type { EmulatorOptions } from '../../freeswitch-emulator/index.js';
import { TestClient, get, isEvent } from '../../freeswitch-emulator/test-client.js';
import type { Frame } from '../../freeswitch-emulator/test-client.js';

async function session(t: Test, options: EmulatorOptions = {}) {
  const emu = await startEmulator({ timeScale: 0.01, ...options });
  const client = await TestClient.connect(emu.port);
  t.teardown(async () => {
    client.close();
    await emu.close();
  });
  await client.next();
  await client.reply('auth ClueCon');
  await client.reply('event plain ALL');
  return { emu, client };
}

const park = async (client: TestClient, uuid: string, dial = `sofia/external/${uuid}@127.0.0.1`) => {
  await client.reply(`bgapi originate {origination_uuid=${uuid}}${dial} &park()`);
  await client.next(isEvent('CHANNEL_PARK', uuid));
};

t.test('each scripted refusal ends the originate with its FreeSWITCH cause and SIP status', async (t) => {
  const { client } = await session(t, {
    peers: {
      '404': { kind: 'unallocated' },
      '503': { kind: 'unreachable' },
      '603': { kind: 'reject' },
    },
  });
  for (const [number, cause, status] of [
    ['404', 'UNALLOCATED_NUMBER', '404'],
    ['503', 'NORMAL_TEMPORARY_FAILURE', '503'],
    ['603', 'CALL_REJECTED', '603'],
  ]) {
    t.equal((await client.reply(`api originate sofia/gateway/gw/${number} &park()`)).body, `-ERR ${cause}\n`);
    const done = await client.find(
      (f) => f.event?.['Event-Name'] === 'CHANNEL_HANGUP_COMPLETE' && f.event['Hangup-Cause'] === cause,
    );
    t.equal(done.event?.variable_sip_term_status, status);
  }
});

t.test('given a peer that hangs up after answering, the leg ends with recv_bye and a billsec', async (t) => {
  const { client } = await session(t, { peers: { '1': { kind: 'answer', hangupAfterMs: 2000 } } });
  await park(client, 'h-1', 'sofia/external/1@127.0.0.1');
  const hangup = await client.next(isEvent('CHANNEL_HANGUP', 'h-1'));
  t.equal(
    hangup.event?.variable_sip_hangup_disposition,
    undefined,
    'as FreeSWITCH does (captures, live tier): CHANNEL_HANGUP does not yet say who sent the BYE',
  );
  const done = await client.next(isEvent('CHANNEL_HANGUP_COMPLETE', 'h-1'));
  t.equal(done.event?.variable_sip_hangup_disposition, 'recv_bye');
  t.equal(done.event?.variable_hangup_cause, 'NORMAL_CLEARING');
  t.ok(Number(done.event?.variable_answer_epoch) > 0);
  t.match(done.event?.variable_billsec, /^\d+$/);
});

t.test(
  'playback lasts its scaled length, PLAYBACK events frame it and uuid_break cuts it short',
  async (t) => {
    const { client } = await session(t, { playbackMs: (f) => (f === 'long.wav' ? 100_000 : undefined) });
    await park(client, 'p-1');
    client.send(
      'sendmsg p-1\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: tone_stream://%(1000,0,440)\nevent-uuid: pb-1',
    );
    await client.next(isEvent('PLAYBACK_START', 'p-1'));
    const stop = await client.next(isEvent('PLAYBACK_STOP', 'p-1'));
    t.equal(stop.event?.['Playback-Status'], 'done');
    const done = await client.next((f) => f.event?.['Application-UUID'] === 'pb-1');
    t.equal(done.event?.['Application-Response'], 'FILE PLAYED');
    t.equal((await client.reply('api uuid_broadcast p-1 long.wav aleg')).body, '+OK Message sent\n');
    await client.next(isEvent('PLAYBACK_START', 'p-1'));
    t.equal((await client.reply('api uuid_break p-1')).body, '+OK\n');
    const broken = await client.next(isEvent('PLAYBACK_STOP', 'p-1'));
    t.equal(broken.event?.['Playback-Status'], 'break');
  },
);

t.test(
  'record_session and stop_record_session emit RECORD_START and RECORD_STOP with the path',
  async (t) => {
    const { client } = await session(t);
    await park(client, 'r-1');
    t.equal((await client.reply('api uuid_record r-1 start /tmp/r-1.wav')).body, '+OK Success\n');
    const start = await client.next(isEvent('RECORD_START', 'r-1'));
    t.equal(start.event?.['Record-File-Path'], '/tmp/r-1.wav');
    await client.reply('api uuid_record r-1 stop /tmp/r-1.wav');
    const stop = await client.next(isEvent('RECORD_STOP', 'r-1'));
    t.equal(stop.event?.['Record-Completion-Cause'], 'success');
  },
);

t.test('DTMF from the far end reaches play_and_get_digits and sets its variable', async (t) => {
  const { emu, client } = await session(t);
  await park(client, 'd-1');
  client.send(
    'sendmsg d-1\ncall-command: execute\nexecute-app-name: play_and_get_digits\nexecute-app-arg: 1 4 1 5000 # prompt.wav invalid.wav choice \\d+\nevent-uuid: pg-1',
  );
  await client.next(
    (f) => f.event?.['Event-Name'] === 'CHANNEL_EXECUTE' && f.event['Application-UUID'] === 'pg-1',
  );
  t.ok(emu.sendDtmf('d-1', '12'));
  const digit = await client.next(isEvent('DTMF', 'd-1'));
  t.equal(digit.event?.['DTMF-Digit'], '1');
  const done = await client.next(
    (f) => f.event?.['Application-UUID'] === 'pg-1' && f.event['Event-Name'] === 'CHANNEL_EXECUTE_COMPLETE',
  );
  t.equal(done.event?.variable_choice, '12');
});

t.test('uuid_bridge links two parked legs; killing one hangs up the other', async (t) => {
  const { emu, client } = await session(t);
  await park(client, 'a-1');
  await park(client, 'b-1');
  t.equal((await client.reply('api uuid_bridge a-1 b-1')).body, '+OK b-1\n');
  const bridge = await client.next(isEvent('CHANNEL_BRIDGE', 'a-1'));
  t.equal(bridge.event?.['Bridge-B-Unique-ID'], 'b-1');
  t.equal(bridge.event?.['Other-Leg-Unique-ID'], 'b-1');
  t.match((await client.reply('api show bridged_calls as json')).body, /"row_count":2/);
  await client.reply('api uuid_kill a-1');
  await client.next(isEvent('CHANNEL_HANGUP_COMPLETE', 'b-1'));
  t.same(emu.channels(), []);
});

t.test(
  'bridge to a registered extension follows its mode: reject fails the bridge, auto-answer bridges',
  async (t) => {
    const { emu, client } = await session(t);
    emu.register('1001', { mode: 'reject' });
    emu.register('1002', { mode: 'auto-answer', answerAfterMs: 500 });
    await park(client, 'x-1');
    await client.reply('api uuid_setvar x-1 continue_on_fail true');
    client.send(
      'sendmsg x-1\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: user/1001\nevent-uuid: br-1',
    );
    const failed = await client.next(
      (f) => f.event?.['Application-UUID'] === 'br-1' && f.event['Event-Name'] === 'CHANNEL_EXECUTE_COMPLETE',
    );
    t.equal(failed.event?.variable_originate_disposition, 'CALL_REJECTED');
    client.send(
      'sendmsg x-1\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: {cc_role=agent}user/1002\nevent-uuid: br-2',
    );
    const bridged = await client.next(isEvent('CHANNEL_BRIDGE', 'x-1'));
    t.equal(bridged.event?.['Other-Leg-Destination-Number'], '1002');
    const agent = emu.channels().find((c) => c.destinationNumber === '1002');
    t.equal(agent?.variables.cc_role, 'agent');
    t.equal(agent?.bridgedTo, 'x-1');
    emu.remoteHangup(agent!.uuid);
    await client.next(isEvent('CHANNEL_UNBRIDGE', 'x-1'));
    const done = await client.next(
      (f) => f.event?.['Application-UUID'] === 'br-2' && f.event['Event-Name'] === 'CHANNEL_EXECUTE_COMPLETE',
    );
    t.equal(done.event?.variable_bridge_hangup_cause, 'NORMAL_CLEARING');
    t.ok(
      emu.channels().some((c) => c.uuid === 'x-1'),
      'the A-leg stays up',
    );
  },
);

t.test(
  'without continue_on_fail a refused bridge hangs up the calling leg with its cause (switch_channel_handle_cause)',
  async (t) => {
    const { emu, client } = await session(t);
    emu.register('1003', { mode: 'reject' });
    await park(client, 'x-2');
    client.send(
      'sendmsg x-2\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: user/1003\nevent-uuid: br-3',
    );
    const hangup = await client.next(isEvent('CHANNEL_HANGUP', 'x-2'));
    t.equal(hangup.event?.['Hangup-Cause'], 'CALL_REJECTED');
  },
);

t.test('a conference announces its members and hup all ends them', async (t) => {
  const { emu, client } = await session(t);
  for (const uuid of ['c-1', 'c-2']) {
    await client.reply(
      `bgapi originate {origination_uuid=${uuid}}sofia/external/${uuid}@x &conference(room1@default)`,
    );
    await client.next((f) => f.event?.Action === 'add-member' && f.event['Unique-ID'] === uuid);
  }
  t.equal((await client.reply('api conference room1 count')).body, '2');
  t.match((await client.reply('api conference room1 list')).body, /^2;sofia\/external\/c-2@x;c-2;/);
  t.equal((await client.reply('api conference room1 hup all')).body, '+OK hup 2\n+OK hup 1\n');
  await client.next((f) => f.event?.Action === 'conference-destroy');
  await emu.waitFor(() => emu.channels().length === 0);
});

t.test('registrations come and go with sofia events and show registrations follows them', async (t) => {
  const { emu, client } = await session(t);
  emu.register('1001');
  t.match(
    (await client.reply('api show registrations')).body,
    /^reg_user,realm,token,url,expires,network_ip,network_port,network_proto,hostname,metadata\n1001,127\.0\.0\.1,/,
  );
  emu.unregister('1001');
  await client.next((f) => f.event?.['Event-Subclass'] === 'sofia::unregister');
  emu.register('1002');
  await client.reply('api sofia profile internal flush_inbound_reg 1002@127.0.0.1');
  const expire = await client.next((f) => f.event?.['Event-Subclass'] === 'sofia::expire');
  t.equal(expire.event?.user, '1002');
  t.equal((await client.reply('api show registrations as json')).body, '{"row_count": 0}\n');
});

t.test('over max-sessions an inbound call is refused and originate fails', async (t) => {
  const { emu, client } = await session(t, { maxSessions: 1 });
  await park(client, 'm-1');
  t.equal(emu.inboundCall('13700000000', '4001'), undefined);
  t.equal(
    (await client.reply('api originate sofia/external/2@x &park()')).body,
    '-ERR DESTINATION_OUT_OF_ORDER\n',
  );
});

t.test('show channels, uuid_getvar/setvar, uuid_dump and hupall describe and end live legs', async (t) => {
  const { emu, client } = await session(t);
  await park(client, 's-1');
  t.match((await client.reply('api show channels')).body, /\ns-1,outbound,.*,CS_EXECUTE,.*\n\n1 total\.\n$/);
  t.equal((await client.reply('api uuid_setvar s-1 cc_task 7')).body, '+OK\n');
  t.equal((await client.reply('api uuid_getvar s-1 cc_task')).body, '7');
  t.equal((await client.reply('api uuid_getvar s-1 nothing')).body, '_undef_');
  const dump = JSON.parse((await client.reply('api uuid_dump s-1 json')).body) as Record<string, string>;
  t.equal(dump['Event-Name'], 'CHANNEL_DATA');
  t.equal(dump.variable_cc_task, '7');
  t.equal((await client.reply('api uuid_kill nope')).body, '-ERR No such channel!\n');
  await client.reply('api hupall');
  const done = await client.next(isEvent('CHANNEL_HANGUP_COMPLETE', 's-1'));
  t.equal(done.event?.['Hangup-Cause'], 'MANAGER_REQUEST');
  t.same(emu.channels(), []);
});

t.test('heartbeat, json format and exit', async (t) => {
  const { emu, client } = await session(t);
  await client.reply('noevents');
  t.equal(get(await client.reply('event json HEARTBEAT'), 'Reply-Text'), '+OK event listener enabled json');
  emu.heartbeat();
  const beat = await client.next(isEvent('HEARTBEAT'));
  t.equal(get(beat, 'Content-Type'), 'text/event-json');
  t.equal(beat.event?.['Max-Sessions'], '1000');
  t.equal(get(await client.reply('exit'), 'Reply-Text'), '+OK bye');
  await client.waitClosed();
  t.ok(emu.commands.some((c) => c.line === 'event json HEARTBEAT'));
});

t.test(
  'given park_after_bridge, a uuid_bridged agent leg returns to park when the customer hangs up',
  async (t) => {
    const { emu, client } = await session(t);
    await park(client, 'ag-1');
    await park(client, 'cu-1');
    await client.reply('api uuid_setvar ag-1 park_after_bridge true');
    await client.reply('api uuid_bridge ag-1 cu-1');
    await client.next(isEvent('CHANNEL_BRIDGE', 'ag-1'));
    emu.remoteHangup('cu-1');
    await client.next(isEvent('CHANNEL_UNBRIDGE', 'ag-1'));
    await client.next(isEvent('CHANNEL_PARK', 'ag-1'));
    t.same(
      emu.channels().map((c) => c.uuid),
      ['ag-1'],
    );
  },
);

t.test('given a ringing extension, bridge gives up at the A-leg call_timeout with NO_ANSWER', async (t) => {
  const { emu, client } = await session(t);
  emu.register('1003', { mode: 'no-answer' });
  await park(client, 'ct-1');
  await client.reply('api uuid_setvar ct-1 call_timeout 5');
  client.send(
    'sendmsg ct-1\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: user/1003\nevent-uuid: ct-b',
  );
  const done = await client.next(
    (f) => f.event?.['Event-Name'] === 'CHANNEL_EXECUTE_COMPLETE' && f.event['Application-UUID'] === 'ct-b',
  );
  t.equal(done.event?.variable_originate_disposition, 'NO_ANSWER');
  t.equal(done.event?.variable_DIALSTATUS, 'NOANSWER');
});

t.test(
  'HEARTBEAT, sofia::register and sofia::expire carry the captured header names in the captured order',
  async (t) => {
    const { readCapture, receivedBytes } = await import('../../support/captures.js');
    const { parseFrames } = await import('../../freeswitch-emulator/test-client.js');
    const captured = [
      ...parseFrames(receivedBytes(readCapture('inbound-originate-busy-486.txt'))).frames,
      ...parseFrames(receivedBytes(readCapture('inbound-sipp-register-and-flush.txt'))).frames,
    ];
    const { emu, client } = await session(t);
    emu.heartbeat();
    emu.register('1000');
    emu.expire('1000');
    const subclass = (name: string) => (f: Frame) => f.event?.['Event-Subclass'] === name;
    for (const pick of [isEvent('HEARTBEAT'), subclass('sofia::register'), subclass('sofia::expire')]) {
      const got = await client.find(pick);
      const want = captured.find(pick)!;
      t.same(
        got.eventOrder,
        want.eventOrder,
        `${got.event?.['Event-Name']} ${got.event?.['Event-Subclass'] ?? ''}`,
      );
    }
  },
);

t.test('onEvent sees every event without a socket, and close() rejects pending waits', async (t) => {
  const emu = await startEmulator({ timeScale: 0.01 });
  const names: string[] = [];
  const off = emu.onEvent((e) => names.push(e.name));
  t.match(await emu.api('originate {origination_uuid=ev-1}sofia/external/1@x &park()'), /^\+OK ev-1/);
  t.ok(names.includes('CHANNEL_ANSWER'));
  off();
  const pending = emu.waitFor(() => false, 60_000);
  await emu.close();
  await t.rejects(pending, /emulator closed/);
});
