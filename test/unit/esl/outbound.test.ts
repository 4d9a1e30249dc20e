import t, { type Test } from 'tap';
import { FakeClock } from '../../../src/core/clock.js';
import { OutboundServer, type OutboundSession, type OutboundSessionOptions } from '../../../src/esl/index.js';
import { readCapture, type Capture } from '../../support/captures.js';
import { firstLine, scriptedClient } from './scripted-peer.js';

/** The Event-UUIDs the recorder used, so the replayed events name the executes we send. */
const eventUuids = (capture: Capture): string[] =>
  capture.records.flatMap((r) => {
    const m = r.kind === 'send' ? /event-uuid: (\S+)/.exec(r.bytes.toString()) : null;
    return m ? [m[1]!] : [];
  });

async function serve(capture: Capture, options: Partial<OutboundSessionOptions> = {}) {
  const uuids = eventUuids(capture);
  let resolveSession!: (s: OutboundSession) => void;
  const session = new Promise<OutboundSession>((resolve) => (resolveSession = resolve));
  const server = new OutboundServer({
    host: '127.0.0.1',
    port: 0,
    clock: new FakeClock(),
    onSession: resolveSession,
    connection: { newUuid: () => uuids.shift() ?? 'spare-uuid' },
    ...options,
  });
  const { port } = await server.listen();
  const fs = scriptedClient(port, capture);
  return { server, fs, session: await session };
}

async function answerPlaybackBridge(t: Test, s: OutboundSession, linger?: number): Promise<void> {
  const ready = await s.ready;
  t.ok(ready.ok, 'connect answered');
  t.ok((await s.myevents()).ok);
  const lingering = await s.linger(linger);
  t.match(lingering, {
    ok: true,
    value: { text: linger ? `+OK will linger ${linger} seconds` : '+OK will linger' },
  });
  t.match(await s.api('version'), { ok: true, value: /^FreeSWITCH Version 1\.11\.1/ });
  t.match(await s.execute({ app: 'answer' }), { ok: true, value: { response: '_none_' } });
  t.match(await s.execute({ app: 'playback', arg: 'tone_stream://%(1000,0,440)' }), {
    ok: true,
    value: { response: 'FILE PLAYED' },
  });
  const bridge = await s.execute({
    app: 'bridge',
    arg: '{origination_caller_id_number=4000}sofia/external/13900000000@127.0.0.1:15091',
  });
  t.match(bridge, { ok: true, value: { response: '_none_' } });
  t.equal(bridge.ok && bridge.value.event.headers['variable_bridge_hangup_cause'], 'NORMAL_CLEARING');
  t.ok((await s.hangup('NORMAL_CLEARING')).ok);
}

t.test(
  'given a leg with plain linger, the session drives it and sends exit when FreeSWITCH lingers',
  async (t) => {
    const capture = readCapture('outbound-socket-uac-4001-answer-playback-bridge-hangup.txt');
    const { server, fs, session } = await serve(capture);
    await answerPlaybackBridge(t, session);
    const info = await session.closed;
    t.equal(info.by, 'remote');
    await fs.closed;
    t.equal(session.uuid, '4fd804cc-d7b4-42a0-a8b7-0c80f8a3e96a');
    t.equal(session.channel?.headers['Caller-Destination-Number'], '4001');
    t.equal(session.channel?.headers['Reply-Text'], '+OK\n', 'the connect reply is URL-decoded');
    t.equal(session.lastNotice?.headers['Content-Disposition'], 'disconnect');
    t.same(
      fs.log.received.map(firstLine),
      fs.log.expected.map(firstLine),
      'same conversation as the recorder',
    );
    t.same(fs.log.received, fs.log.expected, 'byte for byte');
    t.equal(server.counters.active, 0);
    await server.close();
  },
);

t.test('given linger 3, FreeSWITCH closes by itself and we never send exit', async (t) => {
  const capture = readCapture('outbound-socket-dialplan-socket_test-linger3.txt');
  const { server, fs, session } = await serve(capture);
  const notices: string[] = [];
  session.onNoticeFrame((f) =>
    notices.push(`${f.headers['Content-Disposition']} ${f.headers['Linger-Time'] ?? ''}`),
  );
  await answerPlaybackBridge(t, session, 3);
  await session.closed;
  t.same(notices, ['linger 3', 'disconnect ']);
  t.notOk(fs.log.received.map(firstLine).includes('exit'));
  t.equal(session.channel?.headers['Caller-Destination-Number'], 'socket_test');
  await server.close();
});

t.test(
  'given the caller hangs up during playback, playback reports the error and a later execute ends as hangup',
  async (t) => {
    const capture = readCapture('outbound-socket-uac-caller-hangs-up-during-playback.txt');
    const { server, session } = await serve(capture, { exitOnLinger: false });
    const names: string[] = [];
    session.onEvent((e) => names.push(e.name));
    t.ok((await session.ready).ok);
    t.ok((await session.myevents()).ok);
    t.ok((await session.linger()).ok);
    t.ok((await session.api('version')).ok);
    t.match(await session.execute({ app: 'answer' }), { ok: true });
    t.match(await session.execute({ app: 'playback', arg: 'tone_stream://%(10000,0,440)' }), {
      ok: true,
      value: { response: 'PLAYBACK ERROR' },
    });
    t.ok(names.includes('CHANNEL_HANGUP'));
    // FreeSWITCH answers +OK to this execute although the channel is gone: the wait must still end.
    t.same(await session.execute({ app: 'bridge', arg: 'sofia/external/13900000000@127.0.0.1:15091' }), {
      ok: false,
      error: { kind: 'hangup', text: 'channel 500441cf-dc0a-4d2b-b90f-b0bf596185fd is gone' },
    });
    t.equal(session.lastNotice?.headers['Linger-Time'], '-1');
    t.match(await session.exit(), { ok: true, value: { text: '+OK bye' } });
    await session.closed;
    t.equal(session.lastNotice?.headers['Content-Disposition'], 'disconnect');
    await server.close();
  },
);

t.test(
  'given the server closes while a leg is connected but silent, the session ends as closed',
  async (t) => {
    const server = new OutboundServer({
      host: '127.0.0.1',
      port: 0,
      clock: new FakeClock(),
      onSession: () => {},
    });
    const { port } = await server.listen();
    const silent = scriptedClient(port, { name: 'silent', comments: [], records: [] });
    await new Promise<void>((resolve) => silent.socket.once('data', () => resolve()));
    t.equal(server.counters.active, 1);
    await server.close();
    await silent.closed;
    t.equal(server.counters.accepted, 1);
    t.equal(server.address(), undefined, 'no longer listening');
  },
);

t.test('given no connect reply in time, ready says timeout', async (t) => {
  const clock = new FakeClock();
  let session: OutboundSession | undefined;
  const server = new OutboundServer({
    host: '127.0.0.1',
    port: 0,
    clock,
    connectTimeoutMs: 1000,
    onSession: (s) => (session = s),
  });
  const { port } = await server.listen();
  const silent = scriptedClient(port, { name: 'silent', comments: [], records: [] });
  await new Promise<void>((resolve) => silent.socket.once('data', () => resolve()));
  clock.advance(1000);
  t.match(await session!.ready, { ok: false, error: { kind: 'timeout' } });
  await server.close();
});

t.test(
  'given keepChannelHeader, the session keeps only those connect headers and still knows its channel',
  async (t) => {
    const capture = readCapture('outbound-socket-uac-4001-answer-playback-bridge-hangup.txt');
    const { server, fs, session } = await serve(capture, {
      keepChannelHeader: (name) => name === 'Caller-Destination-Number',
    });
    await answerPlaybackBridge(t, session);
    await session.closed;
    await fs.closed;
    t.equal(session.uuid, '4fd804cc-d7b4-42a0-a8b7-0c80f8a3e96a', 'Unique-ID read though not kept');
    t.same({ ...session.channel?.headers }, { 'Caller-Destination-Number': '4001' });
    await server.close();
  },
);
