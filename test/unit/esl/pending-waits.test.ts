// A command's wait is one object in its connection's reply FIFO and deadline lists, timed by one clock timer per
// connection (issue 21), and a batch leaves as one chunk of text. These pin what must not change with that: time
// limits, order, closing, and what the socket sees.
import { createConnection, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import t from 'tap';
import { FakeClock } from '../../../src/core/clock.js';
import { EslConnection, type EslResult } from '../../../src/esl/index.js';
import { manualPeer } from './scripted-peer.js';

const valueOf = (r: EslResult<unknown>): unknown => (r.ok ? r.value : r.error);
const reply = (text: string): string => `Content-Type: command/reply\nReply-Text: ${text}\n\n`;
const apiBody = (body: string): string =>
  `Content-Type: api/response\nContent-Length: ${body.length}\n\n${body}`;

function open(port: number, clock: FakeClock, uuids: string[] = []): { conn: EslConnection; socket: Socket } {
  const socket = createConnection({ host: '127.0.0.1', port });
  const conn = new EslConnection(socket, { clock, newUuid: () => uuids.shift() ?? 'no-more-uuids' });
  return { conn, socket };
}

t.test('given many commands waiting on one connection, the clock holds one timer for them all', async (t) => {
  const peer = await manualPeer();
  const clock = new FakeClock();
  const { conn } = open(peer.port, clock, ['job-1', 'app-1']);
  const fs = await peer.socket();
  const waits = [
    conn.api('status'),
    conn.command('myevents'),
    conn.bgapi('originate user/1000 &park()'),
    conn.execute({ uuid: 'leg-1', app: 'park' }),
    conn.api('version', { timeoutMs: 500 }),
  ];
  t.equal(clock.pending(), 1, 'one timer for five waits, not one each');
  await peer.commands(5);
  fs.write(apiBody('UP') + reply('+OK') + reply('+OK Job-UUID: job-1') + reply('+OK') + apiBody('1.11.1'));
  t.same(valueOf(await waits[0]!), 'UP');
  t.same(valueOf(await waits[4]!), '1.11.1');
  t.equal(clock.pending(), 1, 'the job and the execute still wait: still one timer');
  conn.destroy();
  t.equal(clock.pending(), 0, 'closed: no timer left behind');
  await Promise.all(waits);
  await peer.close();
});

t.test(
  'given a short limit set after a long one, the short one times out first and the replies still go in order',
  async (t) => {
    const peer = await manualPeer();
    const clock = new FakeClock();
    const { conn } = open(peer.port, clock);
    const fs = await peer.socket();
    const long = conn.api('first', { timeoutMs: 5000 });
    const short = conn.api('second', { timeoutMs: 1000 });
    const usual = conn.api('third');
    await peer.commands(3);
    clock.advance(999);
    t.equal(conn.counters.timeouts, 0, 'nothing is due before its limit');
    clock.advance(1);
    t.same(valueOf(await short), { kind: 'timeout', text: 'api: no answer within 1000 ms' });
    t.equal(conn.counters.timeouts, 1);
    fs.write(apiBody('one') + apiBody('two') + apiBody('three'));
    t.equal(valueOf(await long), 'one', 'the first reply is the first command’s');
    t.equal(valueOf(await usual), 'three', 'the timed-out command swallows its late reply, not the next one');
    t.equal(clock.pending(), 0, 'all answered: no timer left behind');
    clock.advance(10_000);
    t.equal(conn.counters.timeouts, 1, 'answered commands never time out later');
    conn.destroy();
    await peer.close();
  },
);

t.test('given a bgapi and an execute whose answers never come, each fails after its own limit', async (t) => {
  const peer = await manualPeer();
  const clock = new FakeClock();
  const socket = createConnection({ host: '127.0.0.1', port: peer.port });
  const conn = new EslConnection(socket, {
    clock,
    jobTimeoutMs: 2000,
    executeTimeoutMs: 3000,
    newUuid: () => 'id-1',
  });
  const fs = await peer.socket();
  const job = conn.bgapi('originate user/1000 &park()');
  await peer.commands(1);
  fs.write(reply('+OK Job-UUID: id-1'));
  await new Promise((r) => setImmediate(r));
  const exec = conn.execute({ uuid: 'leg-1', app: 'bridge', arg: 'user/1001' });
  clock.advance(2000);
  t.same(valueOf(await job), { kind: 'timeout', text: 'bgapi originate: no answer within 2000 ms' });
  clock.advance(999);
  t.equal(conn.counters.timeouts, 1, 'the execute, sent with the bgapi, has 1 ms left');
  clock.advance(1);
  t.same(valueOf(await exec), { kind: 'timeout', text: 'execute bridge: no answer within 3000 ms' });
  t.equal(clock.pending(), 0);
  conn.destroy();
  await peer.close();
});

t.test('given the socket closes, every pending wait ends as closed, whatever stage it was at', async (t) => {
  const peer = await manualPeer();
  const clock = new FakeClock();
  const { conn } = open(peer.port, clock, ['job-1', 'app-1', 'app-2']);
  const fs = await peer.socket();
  const waits = [
    conn.command('linger'),
    conn.bgapi('status'),
    conn.execute({ uuid: 'leg-1', app: 'park' }),
    conn.execute({ uuid: 'leg-1', app: 'playback', arg: 'x.wav' }),
  ];
  await peer.commands(4);
  // linger and the first execute are answered; the bgapi and the playback are not.
  fs.write(reply('+OK will linger'));
  await new Promise((r) => setImmediate(r));
  fs.destroy();
  const results = (await Promise.all(waits)).map(valueOf);
  t.match(results[0], { text: '+OK will linger' }, 'an answered command keeps its answer');
  t.same(results.slice(1), [
    { kind: 'closed', text: 'bgapi status: connection closed' },
    { kind: 'closed', text: 'execute park: connection closed' },
    { kind: 'closed', text: 'execute playback: connection closed' },
  ]);
  t.equal(clock.pending(), 0, 'no timer left behind');
  await peer.close();
});

t.test(
  'given the peer closes, our socket closes without half-closing first (no shutdown call)',
  async (t) => {
    const peer = await manualPeer();
    const { conn, socket } = open(peer.port, new FakeClock());
    const fs = await peer.socket();
    fs.end();
    t.equal((await conn.closed).by, 'remote');
    t.equal(socket.destroyed, true);
    t.equal(socket.writableEnded, false, 'Node did not end() our side: it was closed outright');
    await peer.close();
  },
);

/** Records each chunk the connection hands its socket. */
class ChunkSocket extends Duplex {
  readonly chunks: string[] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk.toString());
    done();
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, done: () => void): void {
    for (const c of chunks) this.chunks.push(c.chunk.toString());
    done();
  }
}

t.test('a batch reaches the socket as one chunk holding its commands in order, byte for byte', async (t) => {
  const socket = new ChunkSocket();
  const conn = new EslConnection(socket, { clock: new FakeClock(), newUuid: () => 'ev-1' });
  conn.batch(() => {
    void conn.command('myevents');
    void conn.api('uuid_setvar leg-1 a b');
    void conn.execute({ app: 'bridge', arg: 'user/1001', uuid: 'leg-1' });
  });
  t.same(socket.chunks, [
    'myevents\n\n' +
      'api uuid_setvar leg-1 a b\n\n' +
      'sendmsg leg-1\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: user/1001\n' +
      'event-uuid: ev-1\n\n',
  ]);
  conn.destroy();
});

t.test(
  'given commands with many different limits, each times out at its own, in any order of sending',
  async (t) => {
    const peer = await manualPeer();
    const clock = new FakeClock();
    const { conn } = open(peer.port, clock);
    await peer.socket();
    const limits = [600, 100, 500, 200, 400, 300, 100];
    const waits = limits.map((timeoutMs, i) => conn.api(`cmd${i}`, { timeoutMs }));
    const timedOut: number[] = [];
    waits.forEach((w, i) => void w.then((r) => !r.ok && timedOut.push(i)));
    await peer.commands(limits.length);
    for (let at = 100; at <= 600; at += 100) {
      clock.advance(99);
      await new Promise((r) => setImmediate(r));
      const before = timedOut.length;
      clock.advance(1);
      await new Promise((r) => setImmediate(r));
      t.same(
        timedOut.slice(before).sort(),
        limits.flatMap((l, i) => (l === at ? [i] : [])),
        `at ${at} ms exactly those with that limit time out`,
      );
    }
    t.equal(conn.counters.timeouts, limits.length);
    t.equal(clock.pending(), 0);
    conn.destroy();
    await peer.close();
  },
);

// Before, the waits ended in this order too, but `api` answered through one more async function, so its results
// reached their callers after the other commands' (park, playback, linger, then the two api calls).
t.test('given the socket closes, the waits end in the order their commands were sent', async (t) => {
  const peer = await manualPeer();
  const clock = new FakeClock();
  const { conn } = open(peer.port, clock, ['app-1', 'app-2']);
  const fs = await peer.socket();
  const ended: string[] = [];
  const waits = [
    conn.api('status').then(() => ended.push('api status')),
    conn.execute({ uuid: 'leg-1', app: 'park' }).then(() => ended.push('execute park')),
    conn.api('version', { timeoutMs: 500 }).then(() => ended.push('api version')),
    conn.execute({ uuid: 'leg-1', app: 'playback' }).then(() => ended.push('execute playback')),
    conn.command('linger').then(() => ended.push('linger')),
  ];
  await peer.commands(5);
  fs.destroy();
  await Promise.all(waits);
  t.same(ended, ['api status', 'execute park', 'api version', 'execute playback', 'linger']);
  await peer.close();
});

/** A wall clock that an NTP correction can set back, over the fake clock's steady time (what `elapsed` reads). */
class SteppingClock extends FakeClock {
  wallOffset = 0;
  override now(): number {
    return super.now() + this.wallOffset;
  }
  elapsed(): number {
    return super.now();
  }
}

t.test(
  'given the wall clock is set back an hour, a command still times out after its own limit',
  async (t) => {
    const peer = await manualPeer();
    const clock = new SteppingClock();
    const { conn } = open(peer.port, clock);
    await peer.socket();
    let result: EslResult<string> | undefined;
    void conn.api('status', { timeoutMs: 1000 }).then((r) => (result = r));
    await peer.commands(1);
    clock.wallOffset = -3_600_000;
    clock.advance(1000);
    await new Promise((r) => setImmediate(r));
    t.same(result && valueOf(result), { kind: 'timeout', text: 'api: no answer within 1000 ms' });
    conn.destroy();
    await peer.close();
  },
);
