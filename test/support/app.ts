// Builds a whole app per test: ':memory:' SQLite (or, with CC_TEST_STORE=pg, a fresh PostgreSQL database: the
// parameterised suites run their files a second time that way, e.g. test/component/dialer-pg.test.ts), a FakeClock,
// one API account. Nothing listens unless a test asks.
import { buildApp, type App, type AppDeps } from '../../src/app.js';
import { signOf } from '../../src/api/auth.js';
import { TEST_FS_HTTP_SECRET, testConfig, type Config } from '../../src/config.js';
import { FakeClock } from '../../src/core/clock.js';
import type { SQL } from 'drizzle-orm';
import type { Store } from '../../src/db/database.js';
import { testDatabase, type OpenedTestStore } from './store.js';
import { seedStore } from '../../src/seed.js';

export const ACCOUNT = 'crm';
export const SECRET = 'test-secret-0123456789abcdef';

export interface TestApp {
  app: App;
  /** The SQLite store; a test in a parameterised suite uses `exec` or the repositories instead (throws on pg). */
  store: Store;
  /** Runs a fixture's SQL (drizzle `sql`, snake_case columns) on whichever store the app runs on; returns rows. */
  exec<T = Record<string, unknown>>(query: SQL): Promise<T[]>;
  clock: FakeClock;
  config: Config;
  /** Signed headers for the test account at the fake clock's time. */
  signed(extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

export async function startTestApp(
  overrides: Partial<Config> = {},
  deps: Partial<AppDeps> = {},
): Promise<TestApp> {
  const config = testConfig(overrides);
  const clock = new FakeClock(Date.UTC(2026, 10, 23, 8));
  const opened = await openTestStore(config.dbPath);
  const app = await buildApp(config, {
    repos: opened.repos,
    clock,
    logger: process.env.CC_TEST_LOG ? { level: 'warn' } : false,
    ...deps,
  });
  await seedStore(
    { ...config, seedAccount: { account: ACCOUNT, secret: SECRET } },
    app.ctx.repos,
    clock.now(),
  );
  return {
    app,
    store: opened.sqlite ?? noSqlite,
    exec: opened.exec,
    clock,
    config,
    signed(extra = {}) {
      const timestamp = String(app.ctx.clock.now());
      return { account: ACCOUNT, timestamp, sign: signOf(ACCOUNT, timestamp, SECRET), ...extra };
    },
    async close() {
      await app.close();
      await opened.close();
      await opened.drop();
    },
  };
}

export const form = (fields: Record<string, string | number | undefined>): string =>
  new URLSearchParams(
    Object.entries(fields).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, String(v)]])),
  ).toString();

export const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' };

/** The HTTP basic header FreeSWITCH sends on xml_curl/xml_cdr requests (testConfig's secret unless given). */
export const fsAuth = (secret = TEST_FS_HTTP_SECRET): { authorization: string } => ({
  authorization: `Basic ${Buffer.from(`freeswitch:${secret}`).toString('base64')}`,
});

/** On PostgreSQL: a test that reaches for the SQLite store fails saying so (it is not in the parameterised set). */
const noSqlite = new Proxy({} as Store, {
  get() {
    throw new Error('this test writes SQLite directly: it cannot run with CC_TEST_STORE=pg');
  },
});

/** The store for one test app: SQLite at config.dbPath (':memory:' unless a test asks), or a fresh PostgreSQL database. */
async function openTestStore(dbPath: string): Promise<OpenedTestStore & { drop(): Promise<void> }> {
  const drops: (() => unknown)[] = [];
  const db = await testDatabase({ teardown: (fn) => drops.push(fn) }, dbPath);
  const opened = await db.open();
  return {
    ...opened,
    async drop() {
      for (const fn of drops.reverse()) await fn();
    },
  };
}

/** Polls an async probe until it gives a value (the emulator's waitFor takes synchronous ones). */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`nothing after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
