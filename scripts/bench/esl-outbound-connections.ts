// Memory and set-up time of an outbound server holding many legs at once, ours (OutboundServer) beside modesl's
// Server, each in a fresh process per round, interleaved:
//   node --import=tsx scripts/bench/esl-outbound-connections.ts [connections=1000] [rounds=5]
// A fake FreeSWITCH in its own process (so its sockets count in neither server's RSS) opens the connections; each
// fake leg answers `connect` with a real captured CHANNEL_DATA reply and every later command with +OK. Ours says
// connect, myevents, linger; modesl's Server (myevents: true) says connect, `event plain BACKGROUND_JOB
// CHANNEL_EXECUTE_COMPLETE` (it always does), myevents, and we add linger. A leg is ready when linger is answered.
// RSS and heap are measured after a forced GC, before the first connection and once all legs are ready.
import { fork } from 'node:child_process';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../src/core/clock.js';
import { isChannelHeaderRead } from '../../src/calls/legs/routing.js';
import { OutboundServer } from '../../src/esl/index.js';
import { readCapture } from '../../test/support/captures.js';
import { interleave, loader, ratioTable, runChild, type Figures } from './side-by-side.js';

const file = fileURLToPath(import.meta.url);

function fakeFreeswitch(count: number, port: number): void {
  const capture = readCapture('outbound-socket-uac-4001-answer-playback-bridge-hangup.txt');
  const connectReply = capture.records.find((r) => r.kind === 'recv')!;
  const ok = Buffer.from('Content-Type: command/reply\nReply-Text: +OK\n\n');
  for (let i = 0; i < count; i++) {
    const socket = createConnection({ host: '127.0.0.1', port });
    let seen = 0;
    let pending = '';
    // Commands may arrive split across chunks (modesl writes a command and its blank line separately).
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      for (let end = pending.indexOf('\n\n'); end >= 0; end = pending.indexOf('\n\n')) {
        pending = pending.slice(end + 2);
        socket.write(seen++ === 0 && connectReply.kind === 'recv' ? connectReply.bytes : ok);
      }
    });
    socket.on('error', () => {});
  }
  process.on('message', () => process.exit(0));
}

async function server(side: 'ours' | 'peer', count: number): Promise<Figures> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  const memory = () => {
    gc();
    return process.memoryUsage();
  };
  const readyMs: number[] = [];
  let firstAccept: number | undefined;
  let done!: () => void;
  const allReady = new Promise<void>((resolve) => (done = resolve));
  const legReady = (acceptedAt: number) => {
    readyMs.push(performance.now() - acceptedAt);
    if (readyMs.length === count) done();
  };
  let port: number;
  let close: () => Promise<void>;
  if (side === 'ours') {
    const s = new OutboundServer({
      host: '127.0.0.1',
      port: 0,
      clock: systemClock,
      // As the app configures it (app.ts): the leg keeps only the connect-reply headers the call runner reads.
      keepChannelHeader: isChannelHeaderRead,
      // Measured at whatever count is asked for, beyond the app's default cap (CC_SOCKET_MAX_CONNECTIONS).
      maxConnections: Number.MAX_SAFE_INTEGER,
      onSession: (session) => {
        const at = performance.now();
        firstAccept ??= at;
        void (async () => {
          if (!(await session.ready).ok) return;
          await session.myevents();
          await session.linger();
          legReady(at);
        })();
      },
    });
    port = (await s.listen()).port;
    close = () => s.close();
  } else {
    const { default: esl } = await import('modesl');
    // modesl's own listen treats port 0 as "use 8022"; hand it a server already listening on a free port.
    const net = createServer();
    await new Promise<void>((r) => net.listen(0, '127.0.0.1', r));
    const s = new esl.Server({ server: net, myevents: true });
    const opened = new Map<string, number>();
    s.on('connection::open', (_conn: unknown, id: string) => {
      const at = performance.now();
      firstAccept ??= at;
      opened.set(id, at);
    });
    s.on('connection::ready', (conn: { sendRecv(c: string, cb: () => void): void }, id: string) =>
      conn.sendRecv('linger', () => legReady(opened.get(id)!)),
    );
    port = (net.address() as AddressInfo).port;
    close = () => new Promise((r) => net.close(() => r()));
  }
  const before = memory();
  const child = fork(file, ['--fake-freeswitch', String(count), String(port)], {
    execArgv: loader,
  });
  await allReady;
  const setupMs = performance.now() - (firstAccept ?? 0);
  const after = memory();
  child.send('bye');
  void close();
  readyMs.sort((a, b) => a - b);
  return {
    rssPerLegKiB: (after.rss - before.rss) / count / 1024,
    heapPerLegKiB: (after.heapUsed - before.heapUsed) / count / 1024,
    readyP50Ms: readyMs[Math.floor(readyMs.length / 2)],
    readyP99Ms: readyMs[Math.floor(readyMs.length * 0.99)],
    allReadyMs: setupMs,
  };
}

const [, , first, second, third] = process.argv;
if (first === '--fake-freeswitch') fakeFreeswitch(Number(second), Number(third));
else if (first === '--server') {
  process.send!(await server(second as 'ours' | 'peer', Number(third)));
  process.exit(0);
} else {
  const count = Number(first ?? 1000);
  const rounds = Number(second ?? 5);
  const result = await interleave(rounds, (side) =>
    runChild(file, ['--server', side, String(count)], ['--expose-gc']),
  );
  console.log(`${count} concurrent outbound legs, ours (OutboundServer) vs modesl's Server; after forced GC`);
  console.log(
    ratioTable(result, [
      ['rssPerLegKiB', 'RSS per live leg, KiB', 1],
      ['heapPerLegKiB', 'JS heap per live leg, KiB', 1],
      ['readyP50Ms', 'accept → leg ready p50, ms', 1],
      ['readyP99Ms', 'accept → leg ready p99, ms', 1],
      ['allReadyMs', 'first accept → all legs ready, ms', 0],
    ]),
  );
}
