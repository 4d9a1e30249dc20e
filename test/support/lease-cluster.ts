// Several whole apps on ONE PostgreSQL database, one FreeSWITCH emulator and one RabbitMQ, owning projects by lease
// (issue 20), for the component tests of ownership, fencing and take-over. Each app has its own connection pool (as
// separate processes would) and short lease timings; the keepers run on real monotonic time and the database's
// clock, the dialers on the system clock.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Test } from 'tap';
import type { App } from '../../src/app.js';
import { socketToken } from '../../src/calls/leg-proof.js';
import type { LeaseKeeper } from '../../src/cluster/lease-keeper.js';
import type { LeaseTimings } from '../../src/cluster/lease-rules.js';
import { monotonicClock } from '../../src/cluster/lease-ownership.js';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { pgLeaseStore } from '../../src/db/pg/leases.js';
import { pgCapacityStore } from '../../src/db/pg/capacity.js';
import { openPgStore, type PgStore } from '../../src/db/pg/open.js';
import { createPgRepos, type PgRepos } from '../../src/db/pg/repos/index.js';
import { startEmulator, type Emulator } from '../freeswitch-emulator/index.js';
import { startTestApp, type TestApp } from './app.js';
import { freshPgDatabase } from './postgres.js';
import { amqpUrl } from './rabbitmq.js';
import { insertGateway } from './gateways.js';

/**
 * Shorter than production's (a take-over within about 5 s), with room for a loaded two-core machine: a renewal may
 * be 2 s late before a grant lapses.
 */
export const TEST_TIMINGS: LeaseTimings = {
  ttlMs: 4000,
  renewAfterMs: 800,
  stopMarginMs: 1200,
  instanceTtlMs: 4000,
  takeoverGraceMs: 800,
};

export interface Member {
  id: string;
  ta: TestApp;
  app: App;
  repos: PgRepos;
  pg: PgStore;
  keeper: LeaseKeeper;
  /** Stops it as `kill -9` would: no round, no release, its links and sockets gone. */
  kill(): Promise<void>;
  /**
   * Pauses its lease keeper as SIGSTOP would, and worse: its local clock stands still too, so its grants seem valid
   * to it and only the database's fencing can stop its dialler. `thaw` is the SIGCONT (the clock catches up).
   */
  freeze(): void;
  thaw(): void;
}

/** The keeper's monotonic clock, which a test can stop (timers keep real time). */
class FreezableClock implements Clock {
  frozenAt: number | undefined;
  now = (): number => this.frozenAt ?? monotonicClock.now();
  setTimer = monotonicClock.setTimer;
}

export interface LeaseCluster {
  fs: Emulator;
  members: Member[];
  /** The shared database (any member's repositories reach it). */
  repos: PgRepos;
  exec(query: ReturnType<typeof sql>): Promise<Record<string, unknown>[]>;
  /** The instance holding the project, by the database. */
  ownerOf(projectCode: string): Promise<string | null>;
}

async function member(
  t: Test,
  id: string,
  url: string,
  cluster: { amqpUrl: string; exchange: string },
): Promise<Member> {
  const pg = await openPgStore(url);
  const repos = createPgRepos(pg.db);
  const clock = new FreezableClock();
  const ta = await startTestApp(
    { cluster: { instanceId: id, ...cluster } },
    {
      repos,
      clock: systemClock,
      dialerTickMs: 50,
      leases: {
        store: pgLeaseStore(pg.db),
        capacity: pgCapacityStore(pg.db),
        timings: TEST_TIMINGS,
        tickMs: 150,
        clock,
      },
    },
  );
  const keeper = (ta.app.ctx.keeper ?? undefined) as LeaseKeeper | undefined;
  if (!keeper) throw new Error('the app has no lease keeper: not in a cluster?');
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await ta.close();
    await pg.close();
  };
  t.teardown(close);
  await ta.app.outbound.listen();
  return {
    id,
    ta,
    app: ta.app,
    repos,
    pg,
    keeper,
    async kill() {
      keeper.halt();
      await close();
    },
    freeze() {
      keeper.halt();
      clock.frozenAt = clock.now();
    },
    thaw() {
      clock.frozenAt = undefined;
      keeper.resume();
    },
  };
}

/** `n` apps (instances i0, i1, ...) started on one fresh PostgreSQL database, one emulator and one RabbitMQ. */
export async function leaseCluster(
  t: Test,
  n: number,
  emulator: { defaultPlaybackMs?: number } = {},
): Promise<LeaseCluster> {
  const url = await freshPgDatabase(t);
  const cluster = { amqpUrl: await amqpUrl(t), exchange: `cc-test-${randomBytes(6).toString('hex')}` };
  const members: Member[] = [];
  for (let i = 0; i < n; i++) members.push(await member(t, `i${i}`, url, cluster));
  const first = members[0]!;
  // The test's own connections: a member may be killed, its pool with it.
  const own = await openPgStore(url);
  t.teardown(() => own.close());
  const exec = async (q: ReturnType<typeof sql>) => (await own.db.execute(q)).rows;
  const node = (await first.repos.nodes.get(1))!;
  const fs = await startEmulator({
    timeScale: 0.02,
    socketToken: socketToken(first.ta.config.socketSecret, node.name),
    dialplanSocket: { host: '127.0.0.1', port: first.app.outbound.address()?.port ?? 0 },
    ...emulator,
  });
  t.teardown(() => fs.close());
  await exec(sql`update fs_nodes set esl_port = ${fs.port}, sip_domain = '127.0.0.1'`);
  for (const m of members) await m.app.start();
  await fs.waitFor(() => members.every((m) => m.app.nodes.isConnected(1)), 10_000);
  return {
    fs,
    members,
    repos: createPgRepos(own.db),
    exec,
    async ownerOf(projectCode) {
      const rows = await exec(
        sql`select owner from project_leases where project_code = ${projectCode} and expires_at > (extract(epoch from now()) * 1000)::bigint`,
      );
      return (rows[0]?.owner as string | undefined) ?? null;
    },
  };
}

/** Polls an async condition every 50 ms. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Originate {
  instance: string;
  epoch: number;
  project: string;
  phone: string;
  at: number;
}

/** The customer originates the emulator received, with the owner variables they carry. */
export function originates(c: LeaseCluster): Originate[] {
  return c.fs.commands
    .filter((cmd) => cmd.line.includes('originate') && cmd.line.includes('cc_role=customer'))
    .map((cmd) => {
      const v = (name: string) => new RegExp(`[{,]${name}=([^,}]*)`).exec(cmd.line)?.[1] ?? '';
      return {
        instance: v('cc_instance'),
        epoch: Number(v('cc_epoch')),
        project: v('cc_project'),
        phone: v('cc_number'),
        at: cmd.at,
      };
    });
}

/** A running play-only task of `n` numbers in the project, on its own gateway of `lines` lines. */
export async function playTask(
  c: LeaseCluster,
  project: string,
  n: number,
  lines: number,
  gwCode = `gw-${project}`,
): Promise<string[]> {
  const { repos } = c;
  const now = Date.now();
  const p = (await repos.projects.activeByCode(project))!;
  await c.exec(
    sql`insert into voices (voice_code, file_path, created_at, updated_at) values (${`v-${project}`}, '/var/voices/a.wav', ${now}, ${now})`,
  );
  const task = await repos.tasks.insert(
    {
      callTaskCode: `t-${project}`,
      projectId: p.id,
      scheduleType: 5,
      callType: 1,
      rate: 1,
      expiredTime: now + 86_400_000,
      voiceCode: `v-${project}`,
      status: 2,
    },
    now,
  );
  const gw =
    (await repos.gateways.byCode(gwCode)) ??
    (await insertGateway(repos.gateways, { gwCode, expectCount: lines }, now));
  await repos.tasks.setGateways(task.id, [{ gatewayId: gw.id, concurrency: lines }]);
  const prefix = 100 + ([...project].reduce((sum, ch) => sum + ch.charCodeAt(0), 0) % 900);
  const phones = Array.from({ length: n }, (_, i) => `13${prefix}${String(i).padStart(6, '0')}`);
  await repos.tasks.addNumbers(task.id, phones, now);
  return phones;
}

export const settled = async (c: LeaseCluster, project: string, n: number) => {
  const p = await c.repos.projects.activeByCode(project);
  const task = (await c.repos.tasks.byCode(`t-${project}`))!;
  return p && (await c.repos.tasks.countsByState(task.id)).done === n;
};

/** Both instances heartbeat, so projects created now are shared out between them. */
export const bothLive = (c: LeaseCluster) =>
  until(
    'both instances live',
    async () => (await c.exec(sql`select id from cluster_instances`)).length === 2,
  );

export const perPhone = (os: Originate[]) => {
  const n = new Map<string, number>();
  for (const o of os) n.set(o.phone, (n.get(o.phone) ?? 0) + 1);
  return n;
};
