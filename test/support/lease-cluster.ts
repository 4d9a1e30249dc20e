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
import { openPgStore, type PgStore } from '../../src/db/pg/open.js';
import { createPgRepos, type PgRepos } from '../../src/db/pg/repos/index.js';
import { startEmulator, type Emulator } from '../freeswitch-emulator/index.js';
import { startTestApp, type TestApp } from './app.js';
import { freshPgDatabase } from './postgres.js';
import { amqpUrl } from './rabbitmq.js';

/** About 10 times shorter than production's: a take-over within about 4 s. */
export const TEST_TIMINGS: LeaseTimings = {
  ttlMs: 2500,
  renewAfterMs: 600,
  stopMarginMs: 800,
  instanceTtlMs: 2500,
  takeoverGraceMs: 600,
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
      leases: { store: pgLeaseStore(pg.db), timings: TEST_TIMINGS, tickMs: 150, clock },
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
