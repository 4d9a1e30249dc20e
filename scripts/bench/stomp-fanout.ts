// STOMP fan-out, our broker beside stomp-broker-js, interleaved rounds, each broker in a fresh child process:
//   node --import=tsx scripts/bench/stomp-fanout.ts [sessions=2000] [publishes=20] [rounds=5] [heartbeatMs=0]
// heartbeatMs > 0: the sessions ask for heart-beats both ways at that interval (the pages ask for 10000), the
// clients beat, and stomp-broker-js is configured for the same interval; 0 (the default): heart-beat 0,0.
// N sessions over loopback WebSocket (in this process) subscribe to one topic; the broker publishes one message at a
// time and we measure publish → parsed by the client (so it includes this one client process working through N
// messages), plus the broker process's RSS and heap after a forced GC: idle, then with N idle sessions (RSS also
// without V8's young generation, which the burst of connections grows). Beside the publish call's wall and CPU time
// it counts how often the OS preempted the broker during the call, and the client process's CPU per fan-out: on 2
// shared cores those two say how much of a latency is the machine.
// The body is ASCII JSON: stomp-broker-js cuts multi-byte bodies short (it counts characters, not bytes), ours
// does not. stomp-broker-js has no receipt for SUBSCRIBE, so for both a warm-up publish that every session
// receives is what says "all subscribed".
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import Fastify from 'fastify';
import WebSocket from 'ws';
import { systemClock } from '../../src/core/clock.js';
import { attachStomp, createBroker } from '../../src/stomp/index.js';
import { interleave, loader, ratioTable, type Figures } from './side-by-side.js';

const TOPIC = '/topic/callExtStatus/BENCH';
const now = () => performance.timeOrigin + performance.now();

type ToServer = { publish: number } | { memory: true } | { snapshot: string } | { stop: true };
type Memory = {
  rss: number;
  heapUsed: number;
  /** Resident bytes of V8's young generation, which grows (up to 32 MiB) while many objects survive a burst. */
  young: number;
  publishMs: number[];
  publishCpuMs: number[];
  publishPreemptions: number[];
};
type FromServer = { port: number; path: string } | Memory;

async function server(side: 'ours' | 'peer', heartbeatMs: number): Promise<void> {
  let publish: (body: string) => void;
  let port: number;
  let path: string;
  let stop: () => Promise<void>;
  if (side === 'ours') {
    const broker = createBroker({
      clock: systemClock,
      authenticate: async (login) => ({ username: login, projectCode: 'BENCH', role: 'agent' }),
      authorizeSubscribe: () => true,
      onAppMessage: async () => undefined,
    });
    const app = Fastify();
    attachStomp(app, broker);
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
    path = '/callcenter/ws';
    publish = (body) => broker.publish(TOPIC, body);
    stop = async () => {
      await app.close();
      broker.close();
    };
  } else {
    const { default: StompServer } = await import('stomp-broker-js');
    const http = createServer();
    const stomp = new StompServer({ server: http, path: '/stomp', heartbeat: [heartbeatMs, heartbeatMs] });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    port = (http.address() as { port: number }).port;
    path = '/stomp';
    publish = (body) => stomp.send(TOPIC, { 'content-type': 'application/json' }, body);
    stop = () => new Promise((r) => http.close(() => r()));
  }
  const send = (m: FromServer) => process.send!(m);
  send({ port, path });
  const publishMs: number[] = [];
  // CPU time of the publish call: on a shared machine its wall time also counts the moments the OS ran others.
  const publishCpuMs: number[] = [];
  // How often the OS took the core away from the broker during the call (involuntary context switches).
  const publishPreemptions: number[] = [];
  const memory = (): Memory => {
    globalThis.gc?.();
    const mem = process.memoryUsage();
    const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    const figures = { publishMs, publishCpuMs, publishPreemptions };
    return { rss: mem.rss, heapUsed: mem.heapUsed, young: young?.physical_space_size ?? 0, ...figures };
  };
  process.on('message', async (m: ToServer) => {
    if ('publish' in m) {
      const start = now();
      const cpu = process.cpuUsage();
      const switches = process.resourceUsage().involuntaryContextSwitches;
      publish(JSON.stringify({ seq: m.publish, sentAt: start, agent: 'agent status' }));
      publishMs.push(now() - start);
      const used = process.cpuUsage(cpu);
      publishCpuMs.push((used.user + used.system) / 1000);
      publishPreemptions.push(process.resourceUsage().involuntaryContextSwitches - switches);
    }
    if ('memory' in m) send(memory());
    if ('snapshot' in m) {
      const { writeHeapSnapshot } = await import('node:v8');
      writeHeapSnapshot(m.snapshot);
      send(memory());
    }
    if ('stop' in m) {
      await stop();
      process.exit(0);
    }
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function measure(
  side: 'ours' | 'peer',
  sessions: number,
  publishes: number,
  heartbeatMs: number,
): Promise<Figures> {
  const child = fork(fileURLToPath(import.meta.url), ['--server', side, String(heartbeatMs)], {
    execArgv: [...loader, '--expose-gc'],
  });
  const replies: Array<(m: FromServer) => void> = [];
  child.on('message', (m: FromServer) => replies.shift()?.(m));
  const ask = (m?: ToServer) =>
    new Promise<FromServer>((resolve) => {
      replies.push(resolve);
      if (m) child.send(m);
    });
  const { port, path } = (await ask()) as { port: number; path: string };
  const idle = (await ask({ memory: true })) as Memory;

  let latencies: number[] = [];
  const completions: number[] = [];
  let pending = 0;
  let roundDone: () => void = () => undefined;
  let roundStart = 0;
  // This process's CPU per round: the client side of the fan-out (ws parsing, JSON) runs on the same 2 cores.
  let clientCpu = process.cpuUsage();
  const clientCpuMs: number[] = [];
  const sockets: WebSocket[] = [];
  // The clients' heart-beats (an EOL each), so that neither broker ends a session as silent.
  const beats =
    heartbeatMs > 0
      ? setInterval(() => {
          for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.send('\n');
        }, heartbeatMs / 2)
      : undefined;
  for (let batch = 0; batch < sessions; batch += 200) {
    const connected: Promise<void>[] = [];
    for (let i = batch; i < Math.min(sessions, batch + 200); i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, ['v12.stomp', 'v11.stomp']);
      sockets.push(ws);
      connected.push(
        new Promise((resolve, reject) => {
          ws.on('error', reject);
          ws.on('open', () =>
            ws.send(
              `CONNECT\naccept-version:1.1,1.2\nlogin:a${i}\npasscode:x\nheart-beat:${heartbeatMs},${heartbeatMs}\n\n\0`,
            ),
          );
          ws.on('message', (data) => {
            const text = data.toString();
            if (text.startsWith('CONNECTED')) {
              ws.send(`SUBSCRIBE\nid:0\ndestination:${TOPIC}\n\n\0`);
              return resolve();
            }
            if (!text.startsWith('MESSAGE')) return;
            const body = text.slice(text.indexOf('\n\n') + 2).replace(/\0\s*$/, '');
            latencies.push(now() - (JSON.parse(body) as { sentAt: number }).sentAt);
            if (--pending === 0) {
              completions.push(now() - roundStart);
              const used = process.cpuUsage(clientCpu);
              clientCpuMs.push((used.user + used.system) / 1000);
              roundDone();
            }
          });
        }),
      );
    }
    await Promise.all(connected);
  }
  const round = (seq: number) =>
    new Promise<void>((resolve) => {
      pending = sessions;
      roundStart = now();
      clientCpu = process.cpuUsage();
      roundDone = resolve;
      child.send({ publish: seq });
    });
  // Warm-up: retried until every session got one (the last SUBSCRIBEs may still be in flight).
  for (let seq = -1; ; seq--) {
    const all = round(seq);
    const got = await Promise.race([
      all.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 2000)),
    ]);
    if (got) break;
  }
  latencies = [];
  completions.length = 0;
  clientCpuMs.length = 0;
  const loaded = (await ask({ memory: true })) as Memory;
  // STOMP_SNAPSHOT=dir: heap snapshots of the broker idle and with the sessions, to see what a session holds.
  const snapshots = process.env.STOMP_SNAPSHOT;
  if (snapshots) {
    await ask({ snapshot: `${snapshots}/${side}-loaded.heapsnapshot` });
    clearInterval(beats);
    for (const ws of sockets) ws.terminate();
    await new Promise((r) => setTimeout(r, 2000));
    await ask({ snapshot: `${snapshots}/${side}-idle.heapsnapshot` });
    child.send({ stop: true });
    return {};
  }
  for (let r = 0; r < publishes; r++) await round(r);
  const after = (await ask({ memory: true })) as Memory;
  latencies.sort((a, b) => a - b);
  completions.sort((a, b) => a - b);
  const publishCall = after.publishMs.slice(-publishes).sort((a, b) => a - b);
  const publishCpu = after.publishCpuMs.slice(-publishes).sort((a, b) => a - b);
  const preemptions = after.publishPreemptions.slice(-publishes).sort((a, b) => a - b);
  clientCpuMs.sort((a, b) => a - b);
  clearInterval(beats);
  for (const ws of sockets) ws.terminate();
  child.send({ stop: true });
  return {
    rssPerSessionKiB: (loaded.rss - idle.rss) / sessions / 1024,
    heapPerSessionKiB: (loaded.heapUsed - idle.heapUsed) / sessions / 1024,
    // V8's young generation grows (8 → 32 MiB) with the burst of 2,000 connections, not with what the sessions hold
    // (after the GC it is empty), and stays grown while idle: taken out here, as for a server that has run a while.
    rssOldPerSessionKiB: (loaded.rss - idle.rss - (loaded.young - idle.young)) / sessions / 1024,
    youngGrowthMiB: (loaded.young - idle.young) / 2 ** 20,
    deliveryP50Ms: percentile(latencies, 50),
    deliveryP99Ms: percentile(latencies, 99),
    fanoutP50Ms: percentile(completions, 50),
    publishCallP50Ms: percentile(publishCall, 50),
    publishCpuP50Ms: percentile(publishCpu, 50),
    publishPreemptionsP50: percentile(preemptions, 50),
    clientCpuP50Ms: percentile(clientCpuMs, 50),
    idleRssMiB: idle.rss / 2 ** 20,
  };
}

if (process.argv.includes('--server'))
  void server(process.argv[3] as 'ours' | 'peer', Number(process.argv[4]));
else {
  const sessions = Number(process.argv[2] ?? 2000);
  const publishes = Number(process.argv[3] ?? 20);
  const rounds = Number(process.argv[4] ?? 5);
  const heartbeatMs = Number(process.argv[5] ?? 0);
  const result = await interleave(rounds, (side) => measure(side, sessions, publishes, heartbeatMs));
  console.log(
    `STOMP fan-out to ${sessions} WebSocket sessions, ${publishes} publishes per round, heart-beat ${heartbeatMs},${heartbeatMs}, ours vs stomp-broker-js (${process.version})`,
  );
  console.log(
    ratioTable(result, [
      ['rssPerSessionKiB', 'broker RSS per idle session, KiB', 1],
      ['heapPerSessionKiB', 'broker JS heap per idle session, KiB', 1],
      ['rssOldPerSessionKiB', 'broker RSS per idle session without the young generation, KiB', 1],
      ['youngGrowthMiB', "broker's young generation grown during the connections, MiB", 1],
      ['deliveryP50Ms', 'delivery latency p50, ms', 1],
      ['deliveryP99Ms', 'delivery latency p99, ms', 1],
      ['fanoutP50Ms', 'whole fan-out (last of N) p50, ms', 1],
      ['publishCallP50Ms', 'publish() call in the broker p50, ms', 2],
      ['publishCpuP50Ms', "publish() call's CPU time in the broker p50, ms", 2],
      ['publishPreemptionsP50', 'times the OS took the core from the broker during publish() p50', 0],
      ['clientCpuP50Ms', "the client process's CPU per fan-out p50, ms", 1],
      ['idleRssMiB', 'broker RSS before any session, MiB', 1],
    ]),
  );
}
