// STOMP across instances (issue 20): two or more instances, each its own process with our broker and the cluster
// bus, joined by a real RabbitMQ (CC_TEST_AMQP_URL, or a throwaway one from scripts/rabbitmq/broker.sh).
//   node --import=tsx scripts/bench/cluster-fanout.ts [sessions=2000] [publishes=20] [burst=20000] [instances=2]
// 1. Fan-out: `sessions` WebSocket sessions spread round-robin over the instances (A, B, ...), all subscribed to one
//    topic; A publishes one frame at a time, and we take publish → parsed by the client, for A's own sessions and the
//    others'.
// 2. Frames/s across instances: A publishes `burst` frames in a row to a topic one session on B subscribes to;
//    frames/s is the burst over the time until that session has the last one; CPU ms per 1,000 frames on A and B.
// 3. What binding every instance to every frame costs: the same burst to a topic nobody on B subscribes to; B's CPU
//    per 1,000 frames it receives and drops.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import WebSocket from 'ws';
import { createBus } from '../../src/cluster/bus.js';
import { systemClock } from '../../src/core/clock.js';
import { Metrics } from '../../src/core/metrics.js';
import { attachStomp, createBroker } from '../../src/stomp/index.js';
import { loader } from './side-by-side.js';

const FANOUT = '/topic/callExtStatus/BENCH';
const ACROSS = '/topic/status/1001';
const NOBODY = '/topic/status/9999';
const now = () => performance.timeOrigin + performance.now();
const silent = { info: () => undefined, warn: () => undefined };

type ToInstance =
  | { publish: string; body: object }
  | { burst: number; destination: string }
  | { stats: true }
  | { stop: true };
type Stats = { cpuMs: number; metrics: Record<string, number> };
type FromInstance = { port: number } | Stats;

/** One instance; `url` '-' is a lone one (no relay), the baseline. */
async function instance(id: string, url: string, exchange: string): Promise<void> {
  const metrics = new Metrics();
  const bus =
    url === '-'
      ? undefined
      : createBus({ url, instanceId: id, exchange, clock: systemClock, metrics, log: silent });
  const broker = createBroker({
    clock: systemClock,
    authenticate: async (login) => ({ username: login, projectCode: 'BENCH', role: 'agent' }),
    authorizeSubscribe: () => true,
    onAppMessage: async () => undefined,
    relay: bus,
  });
  bus?.start();
  while (bus && bus.state() !== 'up') await new Promise((r) => setTimeout(r, 50));
  const app = Fastify();
  attachStomp(app, broker);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const send = (m: FromInstance) => process.send!(m);
  send({ port: (app.server.address() as { port: number }).port });
  process.on('message', async (m: ToInstance) => {
    if ('publish' in m) broker.publish(m.publish, { ...m.body, sentAt: now() });
    if ('burst' in m) {
      // In slices, as a busy server would: the socket gets written between them.
      for (let sent = 0; sent < m.burst;) {
        const end = Math.min(m.burst, sent + 1000);
        for (; sent < end; sent++) broker.publish(m.destination, { seq: sent, agent: 'agent status' });
        await new Promise((r) => setImmediate(r));
      }
    }
    if ('stats' in m) {
      const cpu = process.cpuUsage();
      send({ cpuMs: (cpu.user + cpu.system) / 1000, metrics: metrics.snapshot() });
    }
    if ('stop' in m) {
      await app.close();
      broker.close();
      await bus?.close();
      process.exit(0);
    }
  });
}

interface Handle {
  child: ChildProcess;
  port: number;
  ask(m: ToInstance): Promise<Stats>;
}

async function spawn(id: string, url: string, exchange: string): Promise<Handle> {
  const child = fork(fileURLToPath(import.meta.url), ['--instance', id, url, exchange], { execArgv: loader });
  const replies: Array<(m: FromInstance) => void> = [];
  child.on('message', (m: FromInstance) => replies.shift()?.(m));
  const next = () => new Promise<FromInstance>((resolve) => replies.push(resolve));
  const { port } = (await next()) as { port: number };
  return {
    child,
    port,
    ask: (m) => {
      const reply = next() as Promise<Stats>;
      child.send(m);
      return reply;
    },
  };
}

/** A STOMP session subscribed to `destination`; `onBody` gets each MESSAGE's body. */
function session(
  port: number,
  login: string,
  destination: string,
  onBody: (b: string) => void,
): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/callcenter/ws`, ['v12.stomp']);
  return new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('open', () =>
      ws.send(`CONNECT\naccept-version:1.2\nlogin:${login}\npasscode:x\nheart-beat:0,0\n\n\0`),
    );
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('CONNECTED')) {
        ws.send(`SUBSCRIBE\nid:0\ndestination:${destination}\nreceipt:s\n\n\0`);
        return;
      }
      if (text.startsWith('RECEIPT')) return resolve(ws);
      if (text.startsWith('MESSAGE')) onBody(text.slice(text.indexOf('\n\n') + 2).replace(/\0\s*$/, ''));
    });
  });
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/**
 * `sessions` spread round-robin over the instances (the first one publishes); latency per instance, the publisher's
 * own sessions first.
 */
async function fanout(instances: Handle[], sessions: number, publishes: number) {
  const latency = instances.map(() => [] as number[]);
  let pending = 0;
  let done: () => void = () => undefined;
  const sockets: WebSocket[] = [];
  for (let i = 0; i < sessions; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(sessions, i + 100); j++) {
      const k = j % instances.length;
      batch.push(
        session(instances[k]!.port, `agent${j}`, FANOUT, (body) => {
          latency[k]!.push(now() - (JSON.parse(body) as { sentAt: number }).sentAt);
          if (--pending === 0) done();
        }),
      );
    }
    sockets.push(...(await Promise.all(batch)));
  }
  const round = (seq: number) =>
    new Promise<void>((resolve) => {
      pending = sessions;
      done = resolve;
      instances[0]!.child.send({
        publish: FANOUT,
        body: { seq, agent: 'agent status' },
      } satisfies ToInstance);
    });
  await round(-1); // warm-up
  for (const l of latency) l.length = 0;
  for (let r = 0; r < publishes; r++) await round(r);
  for (const ws of sockets) ws.terminate();
  return latency;
}

async function across(a: Handle, b: Handle, burst: number) {
  let got = 0;
  let finished: () => void = () => undefined;
  const ws = await session(b.port, 'agent1001', ACROSS, () => {
    if (++got === burst) finished();
  });
  const [a0, b0] = [await a.ask({ stats: true }), await b.ask({ stats: true })];
  const start = now();
  const all = new Promise<void>((r) => (finished = r));
  a.child.send({ burst, destination: ACROSS } satisfies ToInstance);
  await all;
  const seconds = (now() - start) / 1000;
  const [a1, b1] = [await a.ask({ stats: true }), await b.ask({ stats: true })];
  ws.terminate();
  // Nobody on B listens: B still takes every frame from RabbitMQ and drops it.
  const received = () => b.ask({ stats: true }).then((s) => s.metrics['cluster.frames.in'] ?? 0);
  const before = await received();
  const b2 = await b.ask({ stats: true });
  a.child.send({ burst, destination: NOBODY } satisfies ToInstance);
  while ((await received()) < before + burst) await new Promise((r) => setTimeout(r, 50));
  const b3 = await b.ask({ stats: true });
  return {
    framesPerSecond: burst / seconds,
    aCpuMsPer1000: ((a1.cpuMs - a0.cpuMs) / burst) * 1000,
    bCpuMsPer1000: ((b1.cpuMs - b0.cpuMs) / burst) * 1000,
    bCpuMsPer1000Unwanted: ((b3.cpuMs - b2.cpuMs - 0) / burst) * 1000,
    dropped: a1.metrics['cluster.frames.dropped'] ?? 0,
  };
}

async function main(): Promise<void> {
  const sessions = Number(process.argv[2] ?? 2000);
  const publishes = Number(process.argv[3] ?? 20);
  const burst = Number(process.argv[4] ?? 20000);
  const count = Number(process.argv[5] ?? 2);
  if (!Number.isInteger(count) || count < 2) throw new Error('instances must be 2 or more');
  const script = join(dirname(fileURLToPath(import.meta.url)), '../rabbitmq/broker.sh');
  let dir: string | undefined;
  let url = process.env.CC_TEST_AMQP_URL;
  if (!url) {
    dir = mkdtempSync(join(tmpdir(), 'cc-rabbitmq-bench-'));
    url = execFileSync('bash', [script, 'start', dir, String(process.pid)], { encoding: 'utf8' }).trim();
  }
  const exchange = `bench-${process.pid}`;
  const alone = await spawn('bench-alone', '-', exchange);
  const [base] = await fanout([alone], sessions, publishes);
  alone.child.send({ stop: true } satisfies ToInstance);
  const instances: Handle[] = [];
  for (let k = 0; k < count; k++) instances.push(await spawn(`bench-${k}`, url, exchange));
  const [a, b] = instances as [Handle, Handle];
  try {
    const lat = await fanout(instances, sessions, publishes);
    const x = await across(a, b, burst);
    const f = (n: number) => n.toFixed(1);
    const each = Math.round(sessions / count);
    const others = lat.slice(1).flat();
    console.log(
      `STOMP across ${count} instances through RabbitMQ (${process.version}), ${sessions} sessions spread over them`,
    );
    console.log(`| figure | value |\n|---|---:|`);
    console.log(
      `| one instance alone (no RabbitMQ), fan-out to all ${sessions}, p50 / p99 ms | ${f(percentile(base!, 50))} / ${f(percentile(base!, 99))} |`,
    );
    console.log(
      `| fan-out to the ~${each} sessions on the publishing instance, p50 / p99 ms | ${f(percentile(lat[0]!, 50))} / ${f(percentile(lat[0]!, 99))} |`,
    );
    console.log(
      `| fan-out to the ~${sessions - each} sessions on the ${count - 1} other instance(s), p50 / p99 ms | ${f(percentile(others, 50))} / ${f(percentile(others, 99))} |`,
    );
    console.log(`| fan-out to all ${sessions}, p99 ms | ${f(percentile(lat.flat(), 99))} |`);
    console.log(
      `| frames/s from A to a session on B (burst of ${burst}) | ${x.framesPerSecond.toFixed(0)} |`,
    );
    console.log(
      `| CPU ms per 1,000 frames: A (publish + relay) / B (receive + deliver) | ${f(x.aCpuMsPer1000)} / ${f(x.bCpuMsPer1000)} |`,
    );
    console.log(
      `| CPU ms per 1,000 frames B receives with no subscriber (the price of binding '#') | ${f(x.bCpuMsPer1000Unwanted)} |`,
    );
    console.log(`| frames dropped by the bus | ${x.dropped} |`);
  } finally {
    for (const h of instances) h.child.send({ stop: true } satisfies ToInstance);
    if (dir) execFileSync('bash', [script, 'remove', dir]);
  }
}

if (process.argv[2] === '--instance') void instance(process.argv[3]!, process.argv[4]!, process.argv[5]!);
else await main();
