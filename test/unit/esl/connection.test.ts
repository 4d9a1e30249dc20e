import { createConnection } from 'node:net';
import t from 'tap';
import { FakeClock } from '../../../src/core/clock.js';
import {
  EslConnection,
  EslParser,
  contentType,
  decodeEvent,
  type EslResult,
} from '../../../src/esl/index.js';
import { readCapture, receivedBytes } from '../../support/captures.js';
import { firstLine, manualPeer, scriptedServer } from './scripted-peer.js';

function open(port: number, clock: FakeClock, uuids: string[] = []): EslConnection {
  const socket = createConnection({ host: '127.0.0.1', port });
  return new EslConnection(socket, { clock, newUuid: () => uuids.shift() ?? 'no-more-uuids' });
}

const greeted = (conn: EslConnection): Promise<void> =>
  new Promise((resolve) => conn.once('auth-request', () => resolve()));

/** Sends every command of a capture at once (pipelined) the way our API would. */
function sendAll(conn: EslConnection, lines: string[]): Promise<EslResult<unknown>>[] {
  return lines.map((line) => {
    if (line.startsWith('api ')) return conn.api(line.slice(4));
    if (line.startsWith('bgapi ')) return conn.bgapi(line.slice(6));
    return conn.command(line);
  });
}

const commandLines = (name: string): string[] =>
  readCapture(name).records.flatMap((r) => (r.kind === 'send' ? [firstLine(r.bytes.toString())] : []));

const valueOf = (r: EslResult<unknown>): unknown => (r.ok ? r.value : r.error);

t.test('given 27 pipelined commands, each reply goes to its own command, in order', async (t) => {
  const name = 'inbound-api-status-registrations-channels-gateway.txt';
  const capture = readCapture(name);
  const frames = new EslParser().push(receivedBytes(capture));
  const jobUuid = frames.find((f) => f.headers['Job-UUID'])!.headers['Job-UUID']!;
  const peer = await scriptedServer(capture);
  const clock = new FakeClock();
  const conn = open(peer.port, clock, [jobUuid]);
  await greeted(conn);
  const lines = commandLines(name);
  const results = await Promise.all(sendAll(conn, lines));
  const at = (line: string): EslResult<unknown> => results[lines.indexOf(line)]!;

  t.match(valueOf(at('auth ClueCon')), { text: '+OK accepted' }, 'auth');
  t.match(valueOf(at('api version')), /^FreeSWITCH Version 1\.11\.1-release/);
  t.match(valueOf(at('api show registrations as json')), /"row_count":1/);
  t.equal(valueOf(at('api uuid_exists 00000000-0000-0000-0000-000000000000')), 'false');
  t.same(valueOf(at('api no_such_command')), { kind: 'err', text: 'no_such_command Command not found!' });
  t.same(valueOf(at('bogus_command')), { kind: 'err', text: 'command not found' });
  t.match(valueOf(at('exit')), { text: '+OK bye' });
  const job = results[lines.findIndex((l) => l.startsWith('bgapi'))]!;
  t.match(
    job,
    { ok: true, value: { text: 'b205aeb1-bf24-48c5-97ac-5ce5cb43589f' } },
    'bgapi resolves with the uuid',
  );
  const replies = frames.filter((f) => /command\/reply|api\/response/.test(contentType(f)));
  t.equal(replies.length, lines.length);
  t.same(peer.logs[0]!.received.map(firstLine), lines, 'commands left in the order they were asked');
  t.equal(conn.counters.commandsSent, lines.length);
  t.same(await conn.closed, { by: 'remote' }, 'FreeSWITCH closed after exit');
  await peer.close();
});

t.test('given a bgapi originate to a busy peer, the result is err USER_BUSY', async (t) => {
  const capture = readCapture('inbound-originate-busy-486.txt');
  const jobUuid = new EslParser().push(receivedBytes(capture)).find((f) => f.headers['Job-UUID'])!.headers[
    'Job-UUID'
  ]!;
  const peer = await scriptedServer(capture);
  const conn = open(peer.port, new FakeClock(), [jobUuid]);
  await greeted(conn);
  const results = await Promise.all(sendAll(conn, commandLines(capture.name)));
  t.same(valueOf(results[2]!), { kind: 'err', text: 'USER_BUSY' });
  await conn.closed;
  await peer.close();
});

t.test('given executes on a parked leg, each resolves with its own CHANNEL_EXECUTE_COMPLETE', async (t) => {
  const capture = readCapture('inbound-playback-wav-record-session.txt');
  const events = new EslParser().push(receivedBytes(capture)).map(decodeEvent);
  const jobUuid = events.find((e) => e?.name === 'BACKGROUND_JOB')!.headers['Job-UUID']!;
  // The recorder let FreeSWITCH pick these ids; in the replay our connection "picks" the same ones.
  const appUuid = (app: string): string =>
    events.find((e) => e?.name === 'CHANNEL_EXECUTE_COMPLETE' && e.headers['Application'] === app)!.headers[
      'Application-UUID'
    ]!;
  const uuids = [jobUuid, appUuid('record_session'), appUuid('playback'), appUuid('stop_record_session')];
  const peer = await scriptedServer(capture);
  const conn = open(peer.port, new FakeClock(), uuids);
  await greeted(conn);
  const leg = '223eeb9a-2644-4b0d-9d35-5fe698d54d21';
  const wav = `/var/fsrec/rec/${leg}.wav`;
  const [, , bg, record, playback, broadcast, stop, kill] = await Promise.all([
    conn.command('auth ClueCon'),
    conn.command('event plain ALL'),
    conn.bgapi(
      `originate {origination_uuid=${leg},origination_caller_id_number=1000}sofia/external/13800000000@127.0.0.1:15090 &park()`,
    ),
    conn.execute({ uuid: leg, app: 'record_session', arg: wav }),
    conn.execute({ uuid: leg, app: 'playback', arg: '/var/fsrec/audio/tone-3s-8k.wav', eventLock: true }),
    conn.api(`uuid_broadcast ${leg} tone_stream://%(500,0,800) aleg`),
    conn.execute({ uuid: leg, app: 'stop_record_session', arg: wav }),
    conn.api(`uuid_kill ${leg}`),
    conn.command('exit'),
  ]);
  t.ok(bg!.ok);
  t.ok(record!.ok && record.value.event.headers['Application'] === 'record_session');
  t.ok(playback!.ok && playback.value.response === 'FILE PLAYED', 'playback reports FILE PLAYED');
  t.ok(broadcast!.ok);
  t.ok(stop!.ok && stop.value.event.headers['Application'] === 'stop_record_session');
  t.same(valueOf(kill!), '+OK\n');
  t.equal(conn.isChannelGone(leg), true, 'CHANNEL_HANGUP_COMPLETE marked the leg gone');
  await conn.closed;
  await peer.close();
});

t.test(
  'given a reply that comes too late, the command times out and the late reply is not misdelivered',
  async (t) => {
    const peer = await manualPeer();
    const clock = new FakeClock();
    const conn = open(peer.port, clock);
    const fs = await peer.socket();
    const slow = conn.api('status', { timeoutMs: 1000 });
    await peer.commands(1);
    clock.advance(999);
    clock.advance(1);
    t.same(valueOf(await slow), { kind: 'timeout', text: 'api: no answer within 1000 ms' });
    t.equal(conn.counters.timeouts, 1);
    const next = conn.api('version');
    await peer.commands(2);
    fs.write('Content-Type: api/response\nContent-Length: 6\n\nstatus');
    fs.write('Content-Type: api/response\nContent-Length: 7\n\nversion');
    t.equal(valueOf(await next), 'version');
    t.equal(clock.pending(), 0, 'no timer left behind');
    conn.destroy();
    await peer.close();
  },
);

t.test(
  'given an AbortSignal, the wait ends as aborted; an already-aborted signal sends nothing',
  async (t) => {
    const peer = await manualPeer();
    const conn = open(peer.port, new FakeClock());
    await peer.socket();
    const ac = new AbortController();
    const pending = conn.api('status', { signal: ac.signal });
    ac.abort();
    t.same(valueOf(await pending), { kind: 'aborted', text: 'api: aborted' });
    const sentBefore = conn.counters.commandsSent;
    const early = await conn.bgapi('status', { signal: ac.signal });
    t.equal(early.ok ? '' : early.error.kind, 'aborted');
    t.equal(conn.counters.commandsSent, sentBefore);
    conn.destroy();
    await peer.close();
  },
);

t.test('given the peer goes away, pending waits end as closed and later calls fail at once', async (t) => {
  const peer = await manualPeer();
  const conn = open(peer.port, new FakeClock(), ['job-1', 'app-1']);
  const fs = await peer.socket();
  const api = conn.api('status');
  const job = conn.bgapi('status');
  const exec = conn.execute({ uuid: 'leg-1', app: 'park' });
  await peer.commands(3);
  fs.destroy();
  t.same(valueOf(await api), { kind: 'closed', text: 'api: connection closed' });
  t.match(await job, { ok: false, error: { kind: 'closed' } });
  t.same(valueOf(await exec), { kind: 'closed', text: 'execute park: connection closed' });
  t.equal((await conn.closed).by, 'remote');
  t.equal(conn.isOpen, false);
  t.same(valueOf(await conn.api('status')), { kind: 'closed', text: 'api: connection closed' });
  await peer.close();
});

t.test('given the channel hangs up before its app completes, execute settles as hangup', async (t) => {
  const peer = await manualPeer();
  const conn = open(peer.port, new FakeClock(), ['app-1', 'app-2']);
  const fs = await peer.socket();
  const exec = conn.execute({ uuid: 'leg-1', app: 'playback', arg: 'x.wav' });
  await peer.commands(1);
  fs.write('Content-Type: command/reply\nReply-Text: +OK\n\n');
  const event = 'Event-Name: CHANNEL_HANGUP_COMPLETE\nUnique-ID: leg-1\n\n';
  fs.write(`Content-Length: ${event.length}\nContent-Type: text/event-plain\n\n${event}`);
  t.same(valueOf(await exec), { kind: 'hangup', text: 'channel leg-1 hung up' });
  // FreeSWITCH still says +OK to an execute on a channel that is gone; the answer must not wait forever.
  const late = conn.execute({ uuid: 'leg-1', app: 'bridge', arg: 'user/1000' });
  await peer.commands(2);
  fs.write('Content-Type: command/reply\nReply-Text: +OK\n\n');
  t.same(valueOf(await late), { kind: 'hangup', text: 'channel leg-1 is gone' });
  conn.destroy();
  await peer.close();
});

t.test('given -ERR to an execute or input with a line break, the failure is a value', async (t) => {
  const peer = await manualPeer();
  const conn = open(peer.port, new FakeClock(), ['app-1']);
  const fs = await peer.socket();
  t.same(valueOf(await conn.api('status\nexit')), { kind: 'invalid', text: 'command contains a line break' });
  t.equal((await conn.execute({ app: 'x\ny' })).ok, false);
  t.equal((await conn.hangup('A\nB')).ok, false);
  t.equal((await conn.sendmsg({ headers: { a: 'b\nc' } })).ok, false);
  t.equal(conn.counters.commandsSent, 0, 'nothing was sent');
  const exec = conn.execute({ uuid: 'nope', app: 'park' });
  await peer.commands(1);
  fs.write('Content-Type: command/reply\nReply-Text: -ERR invalid session id [nope]\n\n');
  t.same(valueOf(await exec), { kind: 'err', text: 'invalid session id [nope]' });
  const hang = conn.hangup('USER_BUSY', 'leg-9');
  await peer.commands(2);
  t.equal(firstLine((await peer.commands(2))[1]!), 'sendmsg leg-9');
  fs.write('Content-Type: command/reply\nReply-Text: +OK\n\n');
  t.ok((await hang).ok);
  conn.destroy();
  await peer.close();
});

t.test('given unexpected frames and throwing listeners, the connection keeps going', async (t) => {
  const peer = await manualPeer();
  const seen: string[] = [];
  const conn = new EslConnection(createConnection({ host: '127.0.0.1', port: peer.port }), {
    clock: new FakeClock(),
    onListenerError: () => seen.push('listener error'),
  });
  conn.on('unexpected', (f) => seen.push(`unexpected ${contentType(f)}`));
  conn.on('event', () => {
    throw new Error('bug in a listener');
  });
  conn.on('rude-rejection', (f) => seen.push(`rude ${f.body}`));
  conn.on('log', () => seen.push('log'));
  const fs = await peer.socket();
  const event = 'Event-Name: HEARTBEAT\n\n';
  fs.write('Content-Type: command/reply\nReply-Text: +OK\n\n');
  fs.write('Content-Type: text/whatever\n\n');
  fs.write(`Content-Length: ${event.length}\nContent-Type: text/event-plain\n\n${event}`);
  fs.write('Content-Length: 4\nContent-Type: text/event-plain\n\nx\n\n\n');
  fs.write('Content-Type: log/data\nContent-Length: 2\n\nhi');
  fs.end('Content-Type: text/rude-rejection\nContent-Length: 23\n\nAccess Denied, go away.');
  await conn.closed;
  t.same(seen, [
    'unexpected command/reply',
    'unexpected text/whatever',
    'listener error',
    'log',
    'rude Access Denied, go away.',
  ]);
  t.equal(conn.counters.malformedEvents, 1);
  t.equal(conn.counters.events, 1);
  await peer.close();
});
