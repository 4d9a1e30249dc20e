// A predictive campaign against the FreeSWITCH emulator, to measure the app, not FreeSWITCH: N numbers, A agents
// registered and available, scheduleType 1 (direct to agent), every customer answers after a short ring and talks
// briefly. Prints sustained attempts/s, originate → socket connect → first execute latency, answer → bridge
// command latency (p50/p99), and the process's CPU and RSS. The emulator runs in the same process, so CPU and RSS
// are an upper bound for the app.
//   node --import=tsx scripts/bench/campaign.ts [--numbers 20000] [--agents 200] [--seconds 120]
import { eq } from 'drizzle-orm';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../../src/config.js';
import { systemClock } from '../../src/core/clock.js';
import { openStore } from '../../src/db/database.js';
import { fsNodes, taskGateways, tasks } from '../../src/db/schema.js';
import { seedStore } from '../../src/seed.js';
import { startEmulator } from '../../test/freeswitch-emulator/index.js';
import { insertGateway } from '../../test/support/gateways.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const NUMBERS = arg('numbers', 20_000);
const AGENTS = arg('agents', 200);
const SECONDS = arg('seconds', 120);

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const store = openStore(':memory:');
const config = testConfig({ recordingsDir: '/tmp/cc-bench-rec' });
const app = await buildApp(config, { store, clock: systemClock, logger: false, dialerTickMs: 100 });
seedStore(config, app.ctx.repos, Date.now());
const socket = await app.outbound.listen();
const fs = await startEmulator({
  timeScale: 0.05,
  sessionsPerSecond: 2000,
  maxSessions: 5000,
  dialplanSocket: { host: '127.0.0.1', port: socket.port },
  defaultPeer: { kind: 'answer', answerAfterMs: 4000, hangupAfterMs: 40_000 },
});
store.db
  .update(fsNodes)
  .set({ eslPort: fs.port, sipDomain: '127.0.0.1', sessionsPerSecond: 2000, maxSessions: 5000 })
  .run();
app.start();
while (!app.nodes.isConnected(1)) await new Promise((r) => setTimeout(r, 20));

app.ctx.services.projects.createProject('bench', AGENTS);
const agents = app.ctx.services.agents.ofProject('bench').filter((a) => a.type === 2);
for (const a of agents) {
  fs.register(a.username, { mode: 'auto-answer', answerAfterMs: 200 });
  app.ctx.services.agents.setWork(a.username, 1);
}
while (agents.some((a) => a.state.regStatus !== 1)) await new Promise((r) => setTimeout(r, 20));

const now = Date.now();
const gw = insertGateway(
  app.ctx.repos.gateways,
  { gwCode: 'bench', realm: '127.0.0.1', expectCount: AGENTS * 3 },
  now,
);
const project = app.ctx.repos.projects.activeByCode('bench')!;
const task = store.db
  .insert(tasks)
  .values({
    callTaskCode: 'bench',
    projectId: project.id,
    scheduleType: 1,
    callType: 1,
    rate: 1.2,
    expiredTime: now + 86_400_000,
    status: 1,
    createdAt: now,
    updatedAt: now,
  })
  .returning()
  .get();
store.db
  .insert(taskGateways)
  .values({ taskId: task.id, gatewayId: gw.id, concurrency: AGENTS * 3 })
  .run();
store.sqlite.transaction(() => {
  const ins = store.sqlite.prepare(
    'INSERT INTO task_numbers (task_id, phone, state, updated_at) VALUES (?, ?, ?, ?)',
  );
  for (let i = 0; i < NUMBERS; i++) ins.run(task.id, `138${String(i).padStart(8, '0')}`, 'pending', now);
})();

const cpu0 = process.cpuUsage();
const t0 = Date.now();
store.db.update(tasks).set({ status: 2 }).where(eq(tasks.id, task.id)).run();
let peakRss = 0;
const deadline = t0 + SECONDS * 1000;
while (Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 500));
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const left = store.sqlite
    .prepare("SELECT count(*) AS n FROM task_numbers WHERE task_id = ? AND state != 'done'")
    .get(task.id) as { n: number };
  if (left.n === 0) break;
}
const elapsed = (Date.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
store.db.update(tasks).set({ status: 3 }).where(eq(tasks.id, task.id)).run();

// Latencies from the emulator's command log (its clock: wall time in ms).
const originatedAt = new Map<string, number>();
const firstConnect = new Map<string, number>();
const firstExecute = new Map<string, number>();
const bridgeAt = new Map<string, number>();
for (const c of fs.commands) {
  const m = /origination_uuid=([0-9a-f-]{36})/.exec(c.line);
  if (m && c.line.includes('originate')) originatedAt.set(m[1], c.at);
  if (c.line === 'connect' && !firstConnect.has(c.from)) firstConnect.set(c.from, c.at);
  if (c.line === 'sendmsg' && c.headers.some(([k]) => k === 'execute-app-name')) {
    if (!firstExecute.has(c.from)) firstExecute.set(c.from, c.at);
    if (c.headers.some(([k, v]) => k === 'execute-app-name' && v === 'bridge') && !bridgeAt.has(c.from))
      bridgeAt.set(c.from, c.at);
  }
}
const toSocket: number[] = [];
const toExecute: number[] = [];
const answerToBridge: number[] = [];
for (const [uuid, at] of originatedAt) {
  const connect = firstConnect.get(uuid);
  const exec = firstExecute.get(uuid);
  const bridge = bridgeAt.get(uuid);
  if (connect !== undefined && exec !== undefined) {
    toSocket.push(connect - at);
    toExecute.push(exec - connect);
  }
  if (connect !== undefined && bridge !== undefined) answerToBridge.push(bridge - connect);
}
const logs = store.sqlite.prepare('SELECT result, count(*) AS n FROM call_logs GROUP BY result').all() as {
  result: number;
  n: number;
}[];
const dialled = originatedAt.size;
const rows = [
  ['numbers / agents', `${NUMBERS} / ${AGENTS}`],
  ['run time', `${elapsed.toFixed(1)} s`],
  ['originates', `${dialled} (${(dialled / elapsed).toFixed(1)}/s sustained)`],
  ['call logs by result', logs.map((l) => `${l.result}: ${l.n}`).join(', ')],
  [
    'originate → socket connect (emulator ring included) p50 / p99',
    `${pct(toSocket, 50)} / ${pct(toSocket, 99)} ms`,
  ],
  ['socket connect → first execute p50 / p99', `${pct(toExecute, 50)} / ${pct(toExecute, 99)} ms`],
  [
    'answer → bridge command (queue wait included) p50 / p99',
    `${pct(answerToBridge, 50)} / ${pct(answerToBridge, 99)} ms`,
  ],
  [
    'process CPU (app + emulator)',
    `${((cpu.user + cpu.system) / 1e6).toFixed(1)} s = ${(((cpu.user + cpu.system) / 1e6 / elapsed) * 100).toFixed(0)}% of one core`,
  ],
  ['peak RSS (app + emulator)', `${(peakRss / 2 ** 20).toFixed(0)} MiB`],
];
for (const [k, v] of rows) console.log(`${k.padEnd(66)} ${v}`);
await app.close();
await fs.close();
store.close();
process.exit(0);
