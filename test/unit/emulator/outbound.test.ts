import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import t from 'tap';
import type { Test } from 'tap';
import { startEmulator } from '../../freeswitch-emulator/index.js';
import { TestClient, get, isEvent } from '../../freeswitch-emulator/test-client.js';

/** A stand-in for our outbound server: hands each accepted leg to the test. */
async function socketServer() {
  const accepted: TestClient[] = [];
  const waiters: ((c: TestClient) => void)[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const client = TestClient.wrap(socket);
    const w = waiters.shift();
    if (w) w(client);
    else accepted.push(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    next: () =>
      new Promise<TestClient>((resolve) =>
        accepted.length ? resolve(accepted.shift()!) : waiters.push(resolve),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An emulator whose dialplan hands calls to our stand-in server, and one caller's leg connected to it. */
async function connectedCall(t: Test, from: string) {
  const app = await socketServer();
  const emu = await startEmulator({ timeScale: 0.01, dialplanSocket: { host: '127.0.0.1', port: app.port } });
  t.teardown(async () => {
    await emu.close();
    await app.close();
  });
  const uuid = emu.inboundCall(from, '4001')!;
  const leg = await app.next();
  leg.send('connect');
  await leg.next();
  return { emu, leg, uuid };
}

t.test(
  'given a leg originated to the socket app, the client drives it and gets the linger notices',
  async (t) => {
    const app = await socketServer();
    const emu = await startEmulator({
      timeScale: 0.01,
      peers: { '13900000000': { kind: 'answer', hangupAfterMs: 3000 } },
    });
    t.teardown(async () => {
      await emu.close();
      await app.close();
    });
    const inbound = await TestClient.connect(emu.port);
    await inbound.next();
    await inbound.reply('auth ClueCon');
    await inbound.reply(
      `bgapi originate {origination_uuid=o-1,cc_flow=5}sofia/external/13800000000@x '&socket(127.0.0.1:${app.port} async full)'`,
    );
    const leg = await app.next();
    leg.send('connect');
    const data = await leg.next();
    t.equal(get(data, 'Event-Name'), 'CHANNEL_DATA');
    t.equal(get(data, 'Unique-ID'), 'o-1');
    t.equal(get(data, 'variable_cc_flow'), '5');
    t.same(
      data.headers.slice(-4).map(([k]) => k),
      ['Content-Type', 'Reply-Text', 'Socket-Mode', 'Control'],
    );
    t.equal(get(data, 'Reply-Text'), '%2BOK%0A');
    t.equal(get(await leg.reply('myevents'), 'Reply-Text'), '+OK Events Enabled');
    t.equal(get(await leg.reply('linger'), 'Reply-Text'), '+OK will linger');
    leg.send(
      'sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: tone_stream://%(1000,0,440)\nevent-uuid: e-1',
    );
    const done = await leg.next(
      (f) =>
        f.event?.['Event-Name'] === 'CHANNEL_EXECUTE_COMPLETE' && f.event?.['Application-UUID'] === 'e-1',
    );
    t.equal(done.event?.['Application-Response'], 'FILE PLAYED');
    leg.send(
      'sendmsg\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: {origination_caller_id_number=4000}sofia/external/13900000000@x\nevent-uuid: e-2',
    );
    const bridged = await leg.next(isEvent('CHANNEL_BRIDGE', 'o-1'));
    t.equal(bridged.event?.['Other-Type'], 'originatee');
    await leg.next(isEvent('CHANNEL_UNBRIDGE', 'o-1'));
    const bridgeDone = await leg.next((f) => f.event?.['Application-UUID'] === 'e-2');
    t.equal(bridgeDone.event?.variable_bridge_hangup_cause, 'NORMAL_CLEARING');
    leg.send('sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING');
    // As FreeSWITCH does: the notice as soon as the leg is down (after CHANNEL_HANGUP), and with linger the events
    // go on until CHANNEL_HANGUP_COMPLETE.
    await leg.next(isEvent('CHANNEL_HANGUP', 'o-1'));
    const notice = await leg.next((f) => get(f, 'Content-Type') === 'text/disconnect-notice');
    await leg.next(isEvent('CHANNEL_HANGUP_COMPLETE', 'o-1'));
    t.same(
      notice.headers.map(([k]) => k),
      [
        'Content-Type',
        'Controlled-Session-UUID',
        'Content-Disposition',
        'Channel-Name',
        'Linger-Time',
        'Content-Length',
      ],
    );
    t.equal(get(notice, 'Linger-Time'), '-1');
    t.notOk(leg.frames.some(isEvent('CHANNEL_DESTROY')), 'no CHANNEL_DESTROY on the outbound socket');
    t.equal(get(await leg.reply('exit'), 'Reply-Text'), '+OK bye');
    const bye = await leg.next();
    t.equal(get(bye, 'Content-Disposition'), 'disconnect');
    await leg.waitClosed();
    inbound.close();
  },
);

t.test(
  'given an agent dialling a code, the dialplan hands the leg to the socket with caller and destination',
  async (t) => {
    const app = await socketServer();
    const emu = await startEmulator({
      timeScale: 0.01,
      dialplanSocket: { host: '127.0.0.1', port: app.port },
    });
    t.teardown(async () => {
      await emu.close();
      await app.close();
    });
    emu.register('1001');
    const uuid = emu.dialFromExtension('1001', 'agent_login');
    t.ok(uuid);
    const leg = await app.next();
    leg.send('connect');
    const data = await leg.next();
    t.equal(get(data, 'Caller-Caller-ID-Number'), '1001');
    t.equal(get(data, 'Caller-Destination-Number'), 'agent_login');
    t.equal(get(await leg.reply('linger 1'), 'Reply-Text'), '+OK will linger 1 seconds');
    emu.remoteHangup(uuid!);
    const notice = await leg.next((f) => get(f, 'Content-Type') === 'text/disconnect-notice');
    t.equal(get(notice, 'Linger-Time'), '1');
    await leg.next((f) => get(f, 'Content-Disposition') === 'disconnect');
    await leg.waitClosed();
  },
);

t.test(
  'without linger the socket gets the disconnect notice as the leg goes down and is closed',
  async (t) => {
    const { leg, uuid } = await connectedCall(t, '13700000000');
    await leg.reply('myevents');
    t.equal(
      get(await leg.reply('sendmsg\ncall-command: hangup\nhangup-cause: USER_BUSY'), 'Reply-Text'),
      '+OK',
    );
    const down = await leg.next(isEvent('CHANNEL_HANGUP', uuid));
    t.equal(down.event?.['Hangup-Cause'], 'USER_BUSY');
    const bye = await leg.next((f) => get(f, 'Content-Type') === 'text/disconnect-notice');
    t.equal(get(bye, 'Content-Disposition'), 'disconnect');
    await leg.waitClosed();
    t.notOk(
      leg.frames.some(isEvent('CHANNEL_HANGUP_COMPLETE')),
      'without linger the socket is closed as the leg goes down, before CHANNEL_HANGUP_COMPLETE',
    );
  },
);

t.test('when our server drops the socket mid-call, the switch hangs the leg up', async (t) => {
  const { emu, leg } = await connectedCall(t, '13700000000');
  leg.close();
  await emu.waitFor(() => emu.channels().length === 0);
  t.pass('leg gone');
});

t.test(
  'when our server drops the socket during a bridge, the call goes on and the leg hangs up when the bridge ends',
  async (t) => {
    const { emu, leg, uuid: a } = await connectedCall(t, '13700000001');
    await leg.reply('myevents');
    leg.send(
      'sendmsg\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: sofia/external/13900000001@x\nevent-uuid: e-1',
    );
    await leg.next(isEvent('CHANNEL_BRIDGE', a));
    leg.close();
    // 30 emulated seconds later the two are still talking (FreeSWITCH 1.11.1 behaves so after a kill -9 of ours).
    await new Promise((r) => setTimeout(r, 300));
    const b = emu.channels().find((c) => c.uuid === a)?.bridgedTo;
    t.ok(b, 'still bridged after the socket went');
    emu.remoteHangup(b!);
    await emu.waitFor(() => emu.channels().length === 0);
    t.pass('when the far end hangs up, the leg whose socket went hangs up too');
  },
);

t.test('when nothing listens at the socket address, the leg hangs up', async (t) => {
  const app = await socketServer();
  const port = app.port;
  await app.close();
  const emu = await startEmulator({ timeScale: 0.01, dialplanSocket: { host: '127.0.0.1', port } });
  t.teardown(() => emu.close());
  t.ok(emu.dialFromExtension('1001', 'agent_login'));
  await emu.waitFor(() => emu.channels().length === 0);
  t.pass('leg gone');
});

t.test(
  'when our server is unreachable, a dialplan leg plays the unavailable tone and ends NORMAL_TEMPORARY_FAILURE',
  async (t) => {
    const app = await socketServer();
    const port = app.port;
    await app.close();
    const emu = await startEmulator({ timeScale: 0.01, dialplanSocket: { host: '127.0.0.1', port } });
    t.teardown(() => emu.close());
    const apps: string[] = [];
    let cause: string | undefined;
    emu.onEvent((e) => {
      const get = (k: string) => e.headers.find(([n]) => n === k)?.[1];
      if (e.name === 'CHANNEL_EXECUTE') apps.push(get('Application')!);
      if (e.name === 'CHANNEL_HANGUP_COMPLETE') cause = get('Hangup-Cause');
    });
    emu.inboundCall('13700000000', '95555');
    await emu.waitFor(() => cause);
    t.equal(cause, 'NORMAL_TEMPORARY_FAILURE');
    t.same(apps, ['socket', 'answer', 'playback', 'hangup']);
  },
);

t.test('after resume and close, the dialplan goes on; a plain close hangs up', async (t) => {
  const app = await socketServer();
  const emu = await startEmulator({ timeScale: 0.01, dialplanSocket: { host: '127.0.0.1', port: app.port } });
  t.teardown(async () => {
    await emu.close();
    await app.close();
  });
  const uuid = emu.inboundCall('13700000000', '95555')!;
  const leg = await app.next();
  leg.send('connect');
  await leg.next();
  t.equal(get(await leg.reply('resume'), 'Reply-Text'), '+OK');
  leg.close();
  await emu.waitFor(() => emu.channels().find((c) => c.uuid === uuid && c.application === 'playback'));
  t.pass('fallback playback runs');
});
