// Commands that leave together go in one write (issue 21): a leg's myevents, linger and first execute, a step's
// commands (EslConnection.batch), and a node link's commands of one turn of the event loop (coalesceWrites). Each
// write to a TCP socket is a system call, and they were a tenth of the app's main thread in the campaign benchmark.
import { Duplex } from 'node:stream';
import t from 'tap';
import { FakeClock } from '../../../src/core/clock.js';
import { EslConnection } from '../../../src/esl/index.js';

/**
 * A socket that records how its bytes were handed over: one entry per write (a write of one chunk, or a writev of
 * several), the first lines of the commands in it. These tests send no bodies, so a blank line ends each command.
 */
class RecordingSocket extends Duplex {
  readonly writes: string[][] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.writes.push(firstLines(chunk));
    done();
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, done: () => void): void {
    this.writes.push(chunks.flatMap((c) => firstLines(c.chunk)));
    done();
  }
}
const firstLines = (chunk: Buffer): string[] =>
  chunk
    .toString()
    .split('\n\n')
    .filter((command) => command !== '')
    .map((command) => command.split('\n')[0]!);
const turn = () => new Promise((r) => setImmediate(r));

t.test('the commands of a batch leave in one write, in order, when it returns', async (t) => {
  const socket = new RecordingSocket();
  const conn = new EslConnection(socket, { clock: new FakeClock(), newUuid: () => 'u-1' });
  const sent = conn.batch(() => {
    void conn.command('myevents');
    void conn.command('linger');
    void conn.execute({ app: 'bridge', arg: 'user/1001', uuid: 'leg-1' });
    t.same(socket.writes, [], 'nothing has left inside the batch');
    return 'value';
  });
  t.equal(sent, 'value', 'batch returns what its function returns');
  t.same(socket.writes, [['myevents', 'linger', 'sendmsg leg-1']], 'one write, when the batch returns');
  void conn.command('exit');
  t.same(socket.writes.at(-1), ['exit'], 'outside a batch each command is written at once');
  conn.destroy();
});

t.test('a batch that throws still sends what it wrote', async (t) => {
  const socket = new RecordingSocket();
  const conn = new EslConnection(socket, { clock: new FakeClock() });
  t.throws(() =>
    conn.batch(() => {
      void conn.command('myevents');
      throw new Error('flow bug');
    }),
  );
  t.same(socket.writes, [['myevents']]);
  conn.destroy();
});

t.test('coalesceWrites sends the commands of one turn together once it ends', async (t) => {
  const socket = new RecordingSocket();
  const uuids = ['j-1', 'j-2', 'j-3'];
  const conn = new EslConnection(socket, {
    clock: new FakeClock(),
    coalesceWrites: true,
    newUuid: () => uuids.shift()!,
  });
  for (const n of [1, 2, 3]) void conn.bgapi(`originate sofia/gateway/gw/100${n} &park()`);
  t.same(socket.writes, [], 'held until the turn ends');
  await turn();
  t.same(socket.writes, [
    [
      'bgapi originate sofia/gateway/gw/1001 &park()',
      'bgapi originate sofia/gateway/gw/1002 &park()',
      'bgapi originate sofia/gateway/gw/1003 &park()',
    ],
  ]);
  void conn.command('api status');
  await turn();
  t.same(socket.writes.at(-1), ['api status'], 'a later turn gets its own write');
  conn.destroy();
});
