// What the cluster benchmarks share (issue 20): a durable PostgreSQL cluster and a RabbitMQ of their own, the
// FreeSWITCH emulator in its own process, and instances of our server as real processes (`node --import=tsx
// src/main.ts`, as the live lab starts them) on one database and one exchange, each with its own HTTP and socket
// ports and CC_INSTANCE_ID. An instance's CPU is read from /proc (utime + stime), so it counts that process alone.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { BENCH_ACCOUNT } from './background-load.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const PG_SCRIPT = join(root, 'scripts/postgres/cluster.sh');
const RMQ_SCRIPT = join(root, 'scripts/rabbitmq/broker.sh');
const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The services every run of a benchmark shares; each run gets its own database and exchange. */
export interface Services {
  pgAdmin: string;
  amqpUrl: string;
  close(): void;
}

export function startServices(): Services {
  const dir = mkdtempSync(join(tmpdir(), 'cc-cluster-bench-'));
  // Beside, not inside, the 0700 temporary directory: the cluster runs as the postgres user.
  const pgDir = `${dir}-pg`;
  const pgAdmin = execFileSync('bash', [PG_SCRIPT, 'start', pgDir], {
    encoding: 'utf8',
    env: { ...process.env, CC_PG_DURABLE: '1' },
  }).trim();
  const rmqDir = join(dir, 'rabbitmq');
  const amqpUrl = execFileSync('bash', [RMQ_SCRIPT, 'start', rmqDir, String(process.pid)], {
    encoding: 'utf8',
  }).trim();
  return {
    pgAdmin,
    amqpUrl,
    close() {
      execFileSync('bash', [RMQ_SCRIPT, 'remove', rmqDir]);
      execFileSync('bash', [PG_SCRIPT, 'stop', pgDir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh database on the cluster; returns its URL. */
export async function freshDatabase(admin: string): Promise<string> {
  const name = `cc_bench_${randomBytes(5).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function query<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

export interface Instance {
  id: string;
  base: string;
  child: ChildProcess;
  out: string[];
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export interface InstanceSettings {
  index: number;
  databaseUrl: string;
  amqpUrl: string;
  exchange: string;
  eslPort: number;
  /** HTTP ports are 18080 + 10 × index, sockets 18084 + 10 × index. */
  dataDir: string;
}

/** Starts instance `index` and waits for its HTTP port. */
export async function startInstance(s: InstanceSettings): Promise<Instance> {
  const http = 18080 + s.index * 10;
  const socket = http + 4;
  const id = `bench-${s.index}`;
  const child = spawn(process.execPath, ['--import=tsx', 'src/main.ts'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      CC_DATABASE_URL: s.databaseUrl,
      CC_AMQP_URL: s.amqpUrl,
      CC_AMQP_EXCHANGE: s.exchange,
      CC_INSTANCE_ID: id,
      CC_HTTP_PORT: String(http),
      CC_SOCKET_PORT: String(socket),
      CC_SOCKET_REACH_AT: `127.0.0.1:${socket}`,
      CC_DATA_DIR: join(s.dataDir, id),
      CC_FS_PORT: String(s.eslPort),
      CC_FS_DOMAIN: '127.0.0.1',
      CC_FS_SPS: '2000',
      CC_FS_MAX_SESSIONS: '5000',
      CC_SEED_ACCOUNT: BENCH_ACCOUNT.account,
      CC_SEED_SECRET: BENCH_ACCOUNT.secret,
      CC_RECORDINGS_DIR: join(s.dataDir, 'recordings'),
      CC_LOG_LEVEL: 'warn',
    },
  });
  const out: string[] = [];
  const keep = (d: Buffer) => {
    out.push(...d.toString().split('\n').filter(Boolean));
    if (out.length > 400) out.splice(0, out.length - 400);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const deadline = Date.now() + 60_000;
  while (!(await portOpen(http))) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${id} did not start: ${out.slice(-10).join('\n')}`);
    await sleep(100);
  }
  return { id, base: `http://127.0.0.1:${http}`, child, out };
}

/** CPU ms the process has used so far (/proc/<pid>/stat: utime + stime). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_S) * 1000;
}

/** A signed API call to an instance; throws unless reqResult.code is 1. */
export async function api<T = Record<string, unknown>>(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  fields: Record<string, string | number> = {},
): Promise<T> {
  const timestamp = String(Date.now());
  const sign = createHash('md5')
    .update(BENCH_ACCOUNT.account + timestamp + BENCH_ACCOUNT.secret)
    .digest('hex');
  const body = new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString();
  const res = await fetch(`${base}${path}${method === 'GET' && body ? `?${body}` : ''}`, {
    method,
    headers: {
      account: BENCH_ACCOUNT.account,
      timestamp,
      sign,
      ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: method === 'POST' ? body : undefined,
  });
  const r = (await res.json()) as { data?: T; reqResult: { code: number; msg: string } };
  if (r.reqResult.code !== 1) throw new Error(`${path}: ${r.reqResult.code} ${r.reqResult.msg}`);
  return r.data as T;
}

export async function metric(base: string, name: string): Promise<number> {
  const res = await fetch(`${base}/health`);
  const body = (await res.json()) as { data?: { metrics?: Record<string, number> } };
  return body.data?.metrics?.[name] ?? 0;
}

/** The live owner of each project (project_leases, database time); a missing table throws. */
export async function owners(url: string): Promise<Map<string, string>> {
  const rows = await query<{ project_code: string; owner: string }>(
    url,
    `SELECT project_code, owner FROM project_leases
     WHERE owner IS NOT NULL AND expires_at > (extract(epoch from now()) * 1000)::bigint`,
  );
  return new Map(rows.map((r) => [r.project_code, r.owner]));
}

/** Ends an instance: SIGTERM, then SIGKILL after 10 s. */
export async function stopInstance(i: Instance, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  if (i.child.exitCode !== null || i.child.signalCode !== null) return;
  const exited = new Promise((r) => i.child.once('exit', r));
  i.child.kill(signal);
  await Promise.race([exited, sleep(10_000).then(() => i.child.kill('SIGKILL'))]);
  await exited;
}
