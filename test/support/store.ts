// The store a test's repositories run on: SQLite unless CC_TEST_STORE=pg, then a fresh PostgreSQL database on the
// suite's cluster (test/support/postgres.ts). The parameterised suites (the repository and dialer tests) run their
// files a second time with CC_TEST_STORE=pg (the *-pg.test.ts files), so one suite covers both stores.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQL } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import { openStore, type Store } from '../../src/db/database.js';
import { openPgStore } from '../../src/db/pg/open.js';
import { createPgRepos } from '../../src/db/pg/repos/index.js';
import { createRepos, type Repos } from '../../src/db/repos/index.js';
import { freshPgDatabase } from './postgres.js';

/** Which store the tests run on. */
export const testStore = (): 'sqlite' | 'pg' => (process.env.CC_TEST_STORE === 'pg' ? 'pg' : 'sqlite');

export interface OpenedTestStore {
  repos: Repos;
  /** The SQLite store itself (undefined on PostgreSQL). */
  sqlite?: Store;
  /** A fixture's SQL (drizzle `sql`, snake_case columns) on this store; returns the rows. */
  exec<T = Record<string, unknown>>(query: SQL): Promise<T[]>;
  close(): Promise<void>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * A database for one test: `open()` opens a connection to it (call it again for a restart or a second process on
 * the same data). SQLite: the file at `sqlitePath` (default: a fresh temporary file); PostgreSQL: a fresh database.
 */
export async function testDatabase(
  t: Teardown,
  sqlitePath?: string,
): Promise<{ open(): Promise<OpenedTestStore> }> {
  if (testStore() === 'pg') {
    const url = await freshPgDatabase(t);
    return {
      async open() {
        const pg = await openPgStore(url);
        return {
          repos: createPgRepos(pg.db),
          exec: async <T>(query: SQL) => (await pg.db.execute(query)).rows as T[],
          close: () => pg.close(),
        };
      },
    };
  }
  let file = sqlitePath;
  if (!file) {
    const dir = mkdtempSync(join(tmpdir(), 'cc-store-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    file = join(dir, 'cc.sqlite');
  }
  const path = file;
  return {
    async open() {
      const sqlite = openStore(path);
      return {
        repos: createRepos(sqlite.db),
        sqlite,
        async exec<T>(query: SQL) {
          const q = new SQLiteSyncDialect().sqlToQuery(query);
          const stmt = sqlite.sqlite.prepare(q.sql);
          if (stmt.reader) return stmt.all(...q.params) as T[];
          stmt.run(...q.params);
          return [];
        },
        close: async () => sqlite.close(),
      };
    },
  };
}
