// Fan-out benchmark: N STOMP sessions over loopback WebSocket subscribe to one topic; the server publishes one
// message at a time and we measure how long each delivery takes, plus the broker process's memory.
// Delivery latency is publish → parsed by the client, so it includes the (single) client process working through
// N messages; `broker.publish() call` is the server's share alone.
// The broker runs in a child process so its RSS is its own and the clients' work does not share its event loop.
// Usage: node --import=tsx scripts/bench/stomp-fanout.ts [sessions=2000] [rounds=20]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import WebSocket from 'ws';
import { systemClock } from '../../src/core/clock.js';
import { attachStomp, createBroker } from '../../src/stomp/index.js';

const TOPIC = '/topic/callExtStatus/BENCH';
const now = () => performance.timeOrigin + performance.now();

type ToServer = { publish: number } | { memory: true } | { stop: true };
type FromServer = { port: number } | { rss: number; heapUsed: number; sessions: number; publishMs: number[] };

async function server(): Promise<void> {
  const broker = createBroker({
    clock: systemClock,
    authenticate: async (login) => ({ username: login, projectCode: 'BENCH', role: 'agent' }),
    authorizeSubscribe: () => true,
    onAppMessage: async () => undefined,
  });
  const app = Fastify();
  attachStomp(app, broker);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const send = (m: FromServer) => process.send!(m);
  send({ port: (app.server.address() as { port: number }).port });
  const publishMs: number[] = [];
  process.on('message', async (m: ToServer) => {
    if ('publish' in m) {
      const start = now();
      broker.publish(TOPIC, { seq: m.publish, sentAt: start, agent: '坐席状态' });
      publishMs.push(now() - start);
    }
    if ('memory' in m) {
      global.gc?.();
      const mem = process.memoryUsage();
      send({ rss: mem.rss, heapUsed: mem.heapUsed, sessions: broker.sessions(), publishMs });
    }
    if ('stop' in m) {
      await app.close();
      broker.close();
      process.exit(0);
    }
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const sessions = Number(process.argv[2] ?? 2000);
  const rounds = Number(process.argv[3] ?? 20);
  const child = fork(fileURLToPath(import.meta.url), ['--server'], {
    execArgv: ['--import=tsx', '--expose-gc'],
  });
  const replies: Array<(m: FromServer) => void> = [];
  child.on('message', (m: FromServer) => replies.shift()?.(m));
  const ask = (m?: ToServer) =>
    new Promise<FromServer>((resolve) => {
      replies.push(resolve);
      if (m) child.send(m);
    });
  const { port } = (await ask()) as { port: number };
  const idle = (await ask({ memory: true })) as { rss: number; heapUsed: number };

  const latencies: number[] = [];
  const completions: number[] = [];
  let pending = 0;
  let roundDone: () => void = () => undefined;
  let roundStart = 0;
  const sockets: WebSocket[] = [];
  const t0 = now();
  for (let batch = 0; batch < sessions; batch += 200) {
    const opened: Promise<void>[] = [];
    for (let i = batch; i < Math.min(sessions, batch + 200); i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/callcenter/ws`, ['v12.stomp']);
      sockets.push(ws);
      opened.push(
        new Promise((resolve, reject) => {
          ws.on('error', reject);
          ws.on('open', () =>
            ws.send(
              `CONNECT\naccept-version:1.2\nlogin:a${i}\npasscode:x\nheart-beat:0,0\n\n\0` +
                `SUBSCRIBE\nid:0\ndestination:${TOPIC}\nreceipt:ready\n\n\0`,
            ),
          );
          ws.on('message', (data) => {
            const text = data.toString();
            if (text.includes('receipt-id:ready')) return resolve();
            if (!text.startsWith('MESSAGE')) return;
            const body = JSON.parse(text.slice(text.indexOf('\n\n') + 2, -1)) as { sentAt: number };
            latencies.push(now() - body.sentAt);
            if (--pending === 0) {
              completions.push(now() - roundStart);
              roundDone();
            }
          });
        }),
      );
    }
    await Promise.all(opened);
  }
  const connectMs = now() - t0;
  const loaded = (await ask({ memory: true })) as { rss: number; heapUsed: number; sessions: number };

  for (let r = 0; r < rounds; r++) {
    pending = sessions;
    roundStart = now();
    await new Promise<void>((resolve) => {
      roundDone = resolve;
      child.send({ publish: r });
    });
  }
  const after = (await ask({ memory: true })) as { rss: number; heapUsed: number; publishMs: number[] };
  const publishCall = [...after.publishMs].sort((a, b) => a - b);
  latencies.sort((a, b) => a - b);
  completions.sort((a, b) => a - b);
  const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
  const ms = (x: number) => x.toFixed(2);
  const rows: Array<[string, string]> = [
    ['node', process.version],
    ['sessions (subscribed over ws)', String(loaded.sessions)],
    ['connect + subscribe all', `${ms(connectMs)} ms`],
    ['publishes (one message each)', String(rounds)],
    ['deliveries', String(latencies.length)],
    ['broker.publish() call p50 (2k sends)', `${ms(percentile(publishCall, 50))} ms`],
    ['broker.publish() call p99', `${ms(percentile(publishCall, 99))} ms`],
    ['delivery latency p50', `${ms(percentile(latencies, 50))} ms`],
    ['delivery latency p99', `${ms(percentile(latencies, 99))} ms`],
    ['delivery latency max', `${ms(latencies.at(-1)!)} ms`],
    ['whole fan-out p50 (last delivery)', `${ms(percentile(completions, 50))} ms`],
    ['whole fan-out p99 (last delivery)', `${ms(percentile(completions, 99))} ms`],
    ['broker RSS idle', `${mb(idle.rss)} MiB`],
    ['broker RSS with sessions', `${mb(loaded.rss)} MiB`],
    ['broker RSS after publishes', `${mb(after.rss)} MiB`],
    ['RSS per session', `${((loaded.rss - idle.rss) / sessions / 1024).toFixed(1)} KiB`],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`STOMP fan-out over loopback WebSocket (broker in a child process)`);
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  for (const ws of sockets) ws.terminate();
  child.send({ stop: true });
}

if (process.argv.includes('--server')) void server();
else void main();
