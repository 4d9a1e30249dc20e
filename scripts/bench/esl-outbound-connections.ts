// Memory of the outbound server holding many legs at once:
//   node --expose-gc --import=tsx scripts/bench/esl-outbound-connections.ts [connections]
// The parent runs OutboundServer; a child process plays FreeSWITCH (so its sockets do not count in our RSS):
// each fake leg answers `connect` with a real captured CHANNEL_DATA reply and every later command with +OK.
// Every session does connect, myevents, linger and then stays open until all are up.
import { fork } from 'node:child_process';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../src/core/clock.js';
import { OutboundServer } from '../../src/esl/index.js';
import { readCapture } from '../../test/support/captures.js';

const count = Number(process.argv[2] ?? 1000);

if (process.argv[3] === '--fake-freeswitch') {
  const port = Number(process.argv[4]);
  const capture = readCapture('outbound-socket-uac-4001-answer-playback-bridge-hangup.txt');
  const connectReply = capture.records.find((r) => r.kind === 'recv')!;
  const ok = Buffer.from('Content-Type: command/reply\nReply-Text: +OK\n\n');
  for (let i = 0; i < count; i++) {
    const socket = createConnection({ host: '127.0.0.1', port });
    let seen = 0;
    socket.on('data', (chunk: Buffer) => {
      for (let n = chunk.toString().split('\n\n').length - 1; n > 0; n--)
        socket.write(seen++ === 0 && connectReply.kind === 'recv' ? connectReply.bytes : ok);
    });
    socket.on('error', () => {});
  }
  process.on('message', () => process.exit(0));
} else {
  const gc = (globalThis as { gc?: () => void }).gc;
  const memory = (): NodeJS.MemoryUsage => {
    gc?.();
    return process.memoryUsage();
  };
  let ready = 0;
  let firstAccept: number | undefined;
  let done!: () => void;
  const allReady = new Promise<void>((resolve) => (done = resolve));
  const server = new OutboundServer({
    host: '127.0.0.1',
    port: 0,
    clock: systemClock,
    onSession: (session) => {
      firstAccept ??= performance.now();
      void (async () => {
        if (!(await session.ready).ok) return;
        await session.myevents();
        await session.linger();
        if (++ready === count) done();
      })();
    },
  });
  const { port } = await server.listen();
  const before = memory();
  const child = fork(fileURLToPath(import.meta.url), [String(count), '--fake-freeswitch', String(port)], {
    execArgv: ['--import=tsx'],
  });
  await allReady;
  const setupMs = performance.now() - (firstAccept ?? 0);
  const after = memory();
  const perConnection = (key: 'rss' | 'heapUsed'): string =>
    `${((after[key] - before[key]) / count / 1024).toFixed(1)} KiB`;
  console.log(
    '| connections | first accept → all ready | RSS before | RSS after | RSS / conn | JS heap / conn |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|');
  console.log(
    `| ${count} | ${setupMs.toFixed(0)} ms | ${(before.rss / 1e6).toFixed(1)} MB | ${(after.rss / 1e6).toFixed(1)} MB | ${perConnection('rss')} | ${perConnection('heapUsed')} |`,
  );
  console.log(gc ? '(after forced GC)' : '(run with --expose-gc for steadier figures)');
  child.send('bye');
  await server.close();
}
