// A predictive campaign against the FreeSWITCH emulator, measuring the app alone: the emulator runs in its own
// process (emulator-process.ts), so the CPU (process.cpuUsage), event-loop delay (monitorEventLoopDelay) and RSS
// printed here are the app's (plus this harness's 1 s poll). N numbers, A agents registered and available,
// scheduleType 1 (direct to agent), every customer answers after a short ring and talks briefly.
//
// answer → bridge command is reported twice, split into customers who found an idle agent and those who queued:
//   - app-side: from the moment the leg's `connect` reply reached the app (the leg is answered: the socket app runs
//     after answer) to the moment the app wrote the bridge execute; it includes the myevents/linger round trips;
//   - the app's own part of that, for idle agents: from the myevents reply to the bridge write;
//   - emulator-side: the emulator's clock, from our `connect` to our bridge `sendmsg`.
//
//   node --import=tsx scripts/bench/campaign.ts [--numbers 20000] [--agents 200] [--seconds 120]
//        [--answer-ms 200] [--talk-ms 2000] [--jitter 0.5] [--rate 1.2] [--tick-ms 100] [--sample-agents]
//        [--history 300000 [--background] [--dnc 100000]] [--store sqlite|pg] [--db FILE] [--by-statement]
//
// --store pg runs the app on PostgreSQL (a durable cluster of its own, bench-store.ts); the default is SQLite at
// --db (':memory:' unless given). Statements per attempt count what the app sent the store during the campaign;
// --by-statement lists them per statement text.
//
// --history N stores N past calls of the project first; --background then runs, for the whole campaign, CSV exports
// of them and imports of a --dnc-number do-not-call CSV, back to back, from curl processes (background-load.ts).
import type { Socket } from 'node:net';
import { constants as perf, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sql } from 'drizzle-orm';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../../src/config.js';
import { systemClock } from '../../src/core/clock.js';
import { HOLD_FALLBACK, HOLD_MUSIC } from '../../src/core/freeswitch.js';
import { EslConnection, type OutboundSession } from '../../src/esl/index.js';
import { seedStore } from '../../src/seed.js';
import { insertGateway } from '../../test/support/gateways.js';
import { BENCH_ACCOUNT, describeRuns, runBackgroundLoad, seedCallLogs } from './background-load.js';
import { forkEmulator } from './emulator-process.js';
import { openBenchStore } from './bench-store.js';
import { threadCpu, threadCpuSince } from './thread-cpu.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const NUMBERS = arg('numbers', 20_000);
const AGENTS = arg('agents', 200);
const SECONDS = arg('seconds', 120);
const ANSWER_MS = arg('answer-ms', 200);
const TALK_MS = arg('talk-ms', 2000);
const RATE = arg('rate', 1.2);
const TICK_MS = arg('tick-ms', 100);
const SAMPLE_AGENTS = process.argv.includes('--sample-agents');
const HISTORY = arg('history', 0);
const BACKGROUND = process.argv.includes('--background');
const DNC_NUMBERS = arg('dnc', 100_000);
const STORE = process.argv.includes('--store')
  ? process.argv[process.argv.indexOf('--store') + 1]!
  : 'sqlite';
// For a soak (soak.sh): a database file instead of :memory: (whose call logs would grow in the app's RSS), and the
// RSS printed after this many seconds of warm-up, to compare with the RSS at the end.
const BY_STATEMENT = process.argv.includes('--by-statement');
const DB_PATH = process.argv.includes('--db') ? process.argv[process.argv.indexOf('--db') + 1]! : ':memory:';
const WARMUP_SECONDS = arg('warmup-seconds', 0);
// A soak also compares the JS heap after a full GC at both moments: RSS alone does not tell a leak from a heap that
// is still growing to its working size. (compiled.mjs starts the bundle without --expose-gc, hence the flag here.)
const fullGc = (): (() => void) | undefined => {
  if (WARMUP_SECONDS <= 0) return undefined;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
};
const heapAfterGc = (gc: (() => void) | undefined): number | undefined => {
  if (!gc) return undefined;
  gc();
  return process.memoryUsage().heapUsed;
};
const soakGc = fullGc();
// Each customer's ring and talk times are drawn from ±JITTER around answer-ms and talk-ms. With 0 every call of a
// dialling burst answers and hangs up together, which cycles the whole team in lock-step (see BENCHMARKS.md).
const JITTER = arg('jitter', 0.5);
const TIME_SCALE = 0.05;

const phoneOf = (i: number) => `138${String(i).padStart(8, '0')}`;
// A fixed-seed generator (mulberry32), so before/after runs dial the same customers.
let seed = 13;
const seeded = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const p50p99 = (xs: number[], digits = 0) =>
  `${pct(xs, 50).toFixed(digits)} / ${pct(xs, 99).toFixed(digits)} / ${(xs.length ? xs.reduce((a, b) => (b > a ? b : a), -Infinity) : NaN).toFixed(digits)} ms (n=${xs.length})`;

// App-side timings, from inside the app process: when each leg's connect reply arrived, when its bridge was written.
const readyAt = new WeakMap<EslConnection, number>();
const appSide = { idle: [] as number[], queued: [] as number[] };
// The app's own part of it: from the last reply the runner waits for before the flow starts (myevents) to the bridge
// write, so the emulator's round-trip time (its process is as loaded as the machine) is left out.
const subscribedAt = new WeakMap<EslConnection, number>();
const appOwn: number[] = [];
const originalCommand = EslConnection.prototype.command;
EslConnection.prototype.command = function (this: EslConnection, line, options) {
  const reply = originalCommand.call(this, line, options);
  if (line === 'myevents') void reply.then(() => subscribedAt.set(this, performance.now()));
  return reply;
};
const queuedConn = new WeakSet<EslConnection>();
// At the socket: when the connect reply's first bytes reached our JS (the first 'data' of the leg's socket, before
// the parser), and when the bridge's bytes were written, for customers who found an idle agent (leg uuid → hrtime).
const replyReadAt = new WeakMap<EslConnection, bigint>();
const idleBridge = new Map<string, { read: bigint; written: bigint; at: number }>();
const originalExecute = EslConnection.prototype.execute;
EslConnection.prototype.execute = function (this: EslConnection, input, options) {
  const t = performance.now();
  // Hold music is the channel's ${cc_hold_music} (or the fallback): only queued customers hear it. (The check looked
  // for "moh" in the argument, which it never holds, so queued customers were counted as having found an agent.)
  if (input.app === 'playback' && (input.arg === HOLD_MUSIC || input.arg === HOLD_FALLBACK))
    queuedConn.add(this);
  const ready = readyAt.get(this);
  if (input.app === 'bridge' && ready !== undefined) {
    (queuedConn.has(this) ? appSide.queued : appSide.idle).push(t - ready);
    const subscribed = subscribedAt.get(this);
    if (!queuedConn.has(this) && subscribed !== undefined) appOwn.push(t - subscribed);
    readyAt.delete(this);
  }
  const result = originalExecute.call(this, input, options);
  // execute writes synchronously (the socket has noDelay and no cork): the bytes have left once it returns.
  const read = replyReadAt.get(this);
  if (input.app === 'bridge' && read !== undefined) {
    if (!queuedConn.has(this) && this.channelUuid)
      idleBridge.set(this.channelUuid, { read, written: process.hrtime.bigint(), at: Date.now() });
    replyReadAt.delete(this);
  }
  return result;
};

const store = await openBenchStore(STORE, DB_PATH);
const config = testConfig({ recordingsDir: '/tmp/cc-bench-rec' });
const app = await buildApp(config, {
  repos: store.repos,
  clock: systemClock,
  logger: false,
  dialerTickMs: TICK_MS,
});
await seedStore({ ...config, seedAccount: BENCH_ACCOUNT }, app.ctx.repos, Date.now());
// When each leg's connect reply arrived: the runner serves the outbound socket, so we serve it first and hand on.
app.outbound.serve((session: OutboundSession) => {
  // Called as the socket is accepted, before any byte can arrive; prepended, so it stamps before the parser runs.
  const socketOf = session.connection as unknown as { socket: Socket };
  socketOf.socket.prependOnceListener('data', () =>
    replyReadAt.set(session.connection, process.hrtime.bigint()),
  );
  void session.ready.then((r) => {
    if (r.ok) readyAt.set(session.connection, performance.now());
  });
  app.runner.handle(session);
});
const socket = await app.outbound.listen();
const fs = await forkEmulator({
  timeScale: TIME_SCALE,
  sessionsPerSecond: 2000,
  maxSessions: 5000,
  dialplanSocket: { host: '127.0.0.1', port: socket.port },
  defaultPeer: { kind: 'answer', answerAfterMs: ANSWER_MS / TIME_SCALE, hangupAfterMs: TALK_MS / TIME_SCALE },
  peers: Object.fromEntries(
    Array.from({ length: NUMBERS }, (_, i) => {
      const vary = (ms: number) => Math.round((ms / TIME_SCALE) * (1 + JITTER * (2 * seeded() - 1)));
      const peer = { kind: 'answer' as const, answerAfterMs: vary(ANSWER_MS), hangupAfterMs: vary(TALK_MS) };
      return [phoneOf(i), peer];
    }),
  ),
});
await store.exec(
  sql`update fs_nodes set esl_port = ${fs.port}, sip_domain = '127.0.0.1', sessions_per_second = 2000, max_sessions = 5000`,
);
await app.start();
while (!app.nodes.isConnected(1)) await new Promise((r) => setTimeout(r, 20));

await app.ctx.services.projects.createProject('bench', AGENTS);
const agents = app.ctx.services.agents.ofProject('bench').filter((a) => a.type === 2);
await fs.register(
  agents.map((a) => a.username),
  { mode: 'auto-answer', answerAfterMs: 200 },
);
for (const a of agents) app.ctx.services.agents.setWork(a.username, 1);
while (agents.some((a) => a.state.regStatus !== 1)) await new Promise((r) => setTimeout(r, 20));

const now = Date.now();
const gw = await insertGateway(
  app.ctx.repos.gateways,
  { gwCode: 'bench', realm: '127.0.0.1', expectCount: AGENTS * 3 },
  now,
);
const project = (await app.ctx.repos.projects.activeByCode('bench'))!;
const { tasks } = store.repos;
const task = await tasks.insert(
  {
    callTaskCode: 'bench',
    projectId: project.id,
    scheduleType: 1,
    callType: 1,
    rate: RATE,
    expiredTime: now + 86_400_000,
    status: 1,
  },
  now,
);
await tasks.setGateways(task.id, [{ gatewayId: gw.id, concurrency: AGENTS * 3 }]);
await tasks.addNumbers(
  task.id,
  Array.from({ length: NUMBERS }, (_, i) => phoneOf(i)),
  now,
);

if (HISTORY > 0) {
  if (!store.sqlite) throw new Error('--history is written to SQLite only');
  seedCallLogs(store.sqlite, project.id, HISTORY);
}
const baseUrl = BACKGROUND ? await app.http.listen({ host: '127.0.0.1', port: 0 }) : '';

globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;
const fsBefore = await fs.usage();
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
// The campaign opens with every agent idle: the dialler's first ticks originate ~1.2 × the team at once, and those
// customers answer together. The figures after that opening burst are printed as well.
const OPENING_MS = 5000;
const steadyLoop = monitorEventLoopDelay({ resolution: 5 });
setTimeout(() => steadyLoop.enable(), OPENING_MS).unref();
// Garbage collection in the run: the young generation's collections count what the app allocates (each one follows
// a filled semi-space), a figure the machine's load does not change, unlike times; and the pauses, which hold the loop.
const gcs = { scavenges: 0, major: 0, pauseMs: 0, longestMs: 0 };
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    if (kind === perf.NODE_PERFORMANCE_GC_MINOR) gcs.scavenges++;
    else if (kind === perf.NODE_PERFORMANCE_GC_MAJOR) gcs.major++;
    gcs.pauseMs += e.duration;
    gcs.longestMs = Math.max(gcs.longestMs, e.duration);
  }
});
gcObserver.observe({ entryTypes: ['gc'] });
const cpu0 = process.cpuUsage();
const threads0 = threadCpu();
const t0 = Date.now();
const statements0 = store.statements();
const texts0 = store.byText();
await tasks.update(task.id, { status: 2 }, Date.now());
let peakRss = 0;
let peakLive = 0;
const rssAtLive: Array<[number, number]> = [];
let rssAfterWarmup: number | undefined;
let heapAfterWarmup: number | undefined;
const deadline = t0 + SECONDS * 1000;
const load = BACKGROUND ? runBackgroundLoad(baseUrl, DNC_NUMBERS, deadline) : undefined;
// The harness's own polls, subtracted from the app's statements.
let pollStatements = 0;
const count = async (q: ReturnType<typeof sql>) => {
  pollStatements++;
  return Number((await store.exec<{ n: number }>(q))[0]?.n ?? 0);
};
const left = () =>
  count(sql`SELECT count(*) AS n FROM task_numbers WHERE task_id = ${task.id} AND state != 'done'`);
const success = () => count(sql`SELECT count(*) AS n FROM call_logs WHERE result = 10`);
while (Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 1000));
  const rss = process.memoryUsage().rss;
  peakRss = Math.max(peakRss, rss);
  peakLive = Math.max(peakLive, app.runner.live.size);
  rssAtLive.push([app.runner.live.size, rss]);
  if (WARMUP_SECONDS > 0 && rssAfterWarmup === undefined && Date.now() - t0 >= WARMUP_SECONDS * 1000) {
    rssAfterWarmup = rss;
    heapAfterWarmup = heapAfterGc(soakGc);
    console.log(
      `after ${WARMUP_SECONDS} s of warm-up: APP RSS ${(rss / 2 ** 20).toFixed(1)} MiB, heap after GC ${((heapAfterWarmup ?? 0) / 2 ** 20).toFixed(1)} MiB`,
    );
  }
  if (SAMPLE_AGENTS) {
    const states = agents.map((a) => (a.state.reserved ? 'r' : a.state.sessionStatus === 0 ? 'i' : 't'));
    const count = (c: string) => states.filter((s) => s === c).length;
    const waiting = [...app.runner.live.values()].filter((c) => c.agent === undefined).length;
    console.log(
      `t=${((Date.now() - t0) / 1000).toFixed(0)}s idle=${count('i')} reserved=${count('r')} talking=${count('t')} live=${app.runner.live.size} noAgent=${waiting} success=${await success()}`,
    );
  }
  if ((await left()) === 0) break;
}
const elapsed = (Date.now() - t0) / 1000;
const rssAtEnd = process.memoryUsage().rss;
const heapAtEnd = heapAfterWarmup === undefined ? undefined : heapAfterGc(soakGc);
const cpu = process.cpuUsage(cpu0);
const threads = threadCpuSince(threads0);
const statements1 = store.statements();
const texts1 = store.byText();
loop.disable();
steadyLoop.disable();
gcObserver.disconnect();
const fsAfter = await fs.usage();
await tasks.update(task.id, { status: 3 }, Date.now());

const legs = await fs.legs();
const replyWritten = new Map((await fs.connectReplies()).map(([u, t]) => [u, BigInt(t)]));
const atSocket: number[] = [];
const beforeRead: number[] = [];
const steadyAtSocket: number[] = [];
for (const [uuid, t] of idleBridge) {
  const sent = replyWritten.get(uuid);
  if (sent === undefined) continue;
  atSocket.push(Number(t.written - sent) / 1e6);
  beforeRead.push(Number(t.read - sent) / 1e6);
  if (t.at - t0 >= OPENING_MS) steadyAtSocket.push(Number(t.written - sent) / 1e6);
}
const toSocket: number[] = [];
const toExecute: number[] = [];
const emuSide = { idle: [] as number[], queued: [] as number[] };
for (const l of legs) {
  if (l.connectAt === undefined) continue;
  toSocket.push(l.connectAt - l.originatedAt);
  if (l.firstExecuteAt !== undefined) toExecute.push(l.firstExecuteAt - l.connectAt);
  if (l.bridgeAt !== undefined) (l.queued ? emuSide.queued : emuSide.idle).push(l.bridgeAt - l.connectAt);
}
const logs = await store.exec<{ result: number; n: number }>(
  sql`SELECT result, count(*) AS n FROM call_logs GROUP BY result`,
);
const dialled = legs.length;
const bridged = appSide.idle.length + appSide.queued.length;
const cpuMs = (cpu.user + cpu.system) / 1000;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const appData = statements1.data - statements0.data - pollStatements;
const appControl = statements1.control - statements0.control;
const rows = [
  ['store', store.kind === 'pg' ? 'PostgreSQL (durable defaults, Unix socket)' : `SQLite ${DB_PATH}`],
  [
    'numbers / agents / rate / answer / talk (± jitter)',
    `${NUMBERS} / ${AGENTS} / ${RATE} / ${ANSWER_MS} ms / ${TALK_MS} ms (± ${JITTER * 100}%)`,
  ],
  ['run time', `${elapsed.toFixed(1)} s`],
  ['originates', `${dialled} (${(dialled / elapsed).toFixed(1)}/s sustained)`],
  ['call logs by result', logs.map((l) => `${l.result}: ${l.n}`).join(', ')],
  ['peak live customer legs (app)', String(peakLive)],
  [
    'originate → socket connect (emulator ring included) p50 / p99',
    `${pct(toSocket, 50)} / ${pct(toSocket, 99)} ms`,
  ],
  [
    'socket connect → first execute (emulator clock) p50 / p99',
    `${pct(toExecute, 50)} / ${pct(toExecute, 99)} ms`,
  ],
  ['connect reply in → bridge out, idle agent, AT THE SOCKET p50 / p99 / max', p50p99(atSocket, 1)],
  ['  of which before our code read the reply p50 / p99 / max', p50p99(beforeRead, 1)],
  [
    `  the same after the opening burst (from ${OPENING_MS / 1000} s) p50 / p99 / max`,
    p50p99(steadyAtSocket, 1),
  ],
  [
    '  APP event-loop delay p99 after the opening burst',
    `${(steadyLoop.percentile(99) / 1e6).toFixed(1)} ms (max ${(steadyLoop.max / 1e6).toFixed(0)})`,
  ],
  [
    '  APP event-loop delay p99 in the same run',
    `${(loop.percentile(99) / 1e6).toFixed(1)} ms (p50 ${(loop.percentile(50) / 1e6).toFixed(1)})`,
  ],
  ['answer → bridge, idle agent, APP-SIDE handler-internal p50 / p99 / max', p50p99(appSide.idle, 1)],
  ['answer → bridge, queued, APP-SIDE handler-internal p50 / p99 / max', p50p99(appSide.queued, 0)],
  ['myevents reply → bridge, idle agent, handler-internal p50 / p99 / max', p50p99(appOwn, 2)],
  ['answer → bridge, idle agent, emulator clock p50 / p99 / max', p50p99(emuSide.idle)],
  ['answer → bridge, queued, emulator clock p50 / p99 / max', p50p99(emuSide.queued)],
  ['APP CPU', `${(cpuMs / 1000).toFixed(1)} s = ${((cpuMs / 1000 / elapsed) * 100).toFixed(0)}% of one core`],
  ['APP CPU per originated attempt', `${(cpuMs / dialled).toFixed(2)} ms`],
  ['APP CPU per bridged call', `${(cpuMs / bridged).toFixed(2)} ms`],
  [
    '  of it user / system per attempt',
    `${(cpu.user / 1000 / dialled).toFixed(2)} / ${(cpu.system / 1000 / dialled).toFixed(2)} ms`,
  ],
  ...[...threads]
    .filter(([, t]) => t.user + t.system > 0)
    .map(([name, t]): [string, string] => [
      `  of it the ${name === 'main' ? 'main thread' : `${name} threads (V8's GC and compiler helpers, libuv's pool)`}, user / system per attempt`,
      `${(t.user / dialled).toFixed(2)} / ${(t.system / dialled).toFixed(2)} ms`,
    ]),
  [
    'store statements per originated attempt (+ BEGIN/COMMIT/SAVEPOINT)',
    `${(appData / dialled).toFixed(2)} (+ ${(appControl / dialled).toFixed(2)})`,
  ],
  [
    'APP event-loop delay p50 / p99 / max',
    `${(loop.percentile(50) / 1e6).toFixed(1)} / ${(loop.percentile(99) / 1e6).toFixed(1)} / ${(loop.max / 1e6).toFixed(0)} ms`,
  ],
  [
    'APP GC: young collections per 1,000 attempts, full ones',
    `${((gcs.scavenges / dialled) * 1000).toFixed(0)}, ${gcs.major}`,
  ],
  [
    'APP GC pauses: per attempt, longest',
    `${(gcs.pauseMs / dialled).toFixed(3)} ms, ${gcs.longestMs.toFixed(1)} ms`,
  ],
  ['APP RSS before → peak → end', `${mib(rssBefore)} → ${mib(peakRss)} → ${mib(process.memoryUsage().rss)}`],
  ...(rssAfterWarmup === undefined
    ? []
    : [
        [
          'APP RSS after warm-up → end (end ÷ warm-up)',
          `${mib(rssAfterWarmup)} → ${mib(rssAtEnd)} (${(rssAtEnd / rssAfterWarmup).toFixed(3)})`,
        ],
        [
          'APP JS heap after a full GC, warm-up → end (end ÷ warm-up)',
          heapAfterWarmup && heapAtEnd
            ? `${mib(heapAfterWarmup)} → ${mib(heapAtEnd)} (${(heapAtEnd / heapAfterWarmup).toFixed(3)})`
            : 'n/a',
        ],
      ]),
  [
    'emulator process (not in the APP figures): CPU, RSS',
    `${((fsAfter.cpuMs - fsBefore.cpuMs) / 1000).toFixed(1)} s, ${mib(fsAfter.rss)}`,
  ],
];
const background = await load;
if (background)
  rows.push(
    [`background: CSV exports of ${HISTORY} rows`, describeRuns(background.exports)],
    [`background: do-not-call imports of ${DNC_NUMBERS} (add, remove)`, describeRuns(background.imports)],
  );
else if (HISTORY > 0) rows.push(['background', `none (${HISTORY} past calls stored)`]);
for (const [k, v] of rows) console.log(`${k.padEnd(62)} ${v}`);
if (BY_STATEMENT) {
  // What the statements per attempt are made of, most frequent first (the harness's polls included here).
  console.log('statements by text, per originated attempt:');
  const per = [...texts1].map(([t, n]) => [t, (n - (texts0.get(t) ?? 0)) / dialled] as const);
  for (const [t, n] of per.filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]))
    console.log(`  ${n.toFixed(3).padStart(7)}  ${t}`);
}
await app.close();
await fs.close();
await store.close();
process.exit(0);
