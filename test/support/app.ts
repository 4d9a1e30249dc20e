// Builds a whole app per test: ':memory:' SQLite, a FakeClock, one API account. Nothing listens unless a test asks.
import { buildApp, type App, type AppDeps } from '../../src/app.js';
import { signOf } from '../../src/api/auth.js';
import { TEST_FS_HTTP_SECRET, testConfig, type Config } from '../../src/config.js';
import { FakeClock } from '../../src/core/clock.js';
import { openStore, type Store } from '../../src/db/database.js';
import { seedStore } from '../../src/seed.js';

export const ACCOUNT = 'crm';
export const SECRET = 'test-secret-0123456789abcdef';

export interface TestApp {
  app: App;
  store: Store;
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
  const store = openStore(config.dbPath);
  const app = await buildApp(config, {
    store,
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
    store,
    clock,
    config,
    signed(extra = {}) {
      const timestamp = String(app.ctx.clock.now());
      return { account: ACCOUNT, timestamp, sign: signOf(ACCOUNT, timestamp, SECRET), ...extra };
    },
    async close() {
      await app.close();
      store.close();
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
