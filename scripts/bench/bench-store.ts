// The store a benchmark runs the app on (issue 19): `--store sqlite` (a database file, as a real installation runs,
// not ':memory:') or `--store pg` (a PostgreSQL cluster of its own, started with PostgreSQL's durable defaults by
// scripts/postgres/cluster.sh, stopped at the end). Fixture SQL runs on either; every statement the app sends is
// counted, so a run can print statements per attempt.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import type { SQL } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import pg from 'pg';
import { openStore } from '../../src/db/database.js';
import { openPgStore } from '../../src/db/pg/open.js';
import { createPgRepos } from '../../src/db/pg/repos/index.js';
import { createRepos, type Repos } from '../../src/db/repos/index.js';

export interface BenchStore {
  kind: 'sqlite' | 'pg';
  repos: Repos;
  /** The SQLite database itself (undefined on PostgreSQL), for the history seeding. */
  sqlite?: Database.Database;
  exec<T = Record<string, unknown>>(query: SQL): Promise<T[]>;
  /** Statements sent so far: `data` (queries) and `control` (BEGIN, COMMIT, SAVEPOINT, RELEASE, ROLLBACK). */
  statements(): { data: number; control: number };
  /** The same, per statement text (its first 100 characters), for the breakdown a run prints with --by-statement. */
  byText(): Map<string, number>;
  close(): Promise<void>;
}

const TX_CONTROL = /^\s*(begin|commit|rollback|savepoint|release)/i;

/** Counts per statement text, the text cut to its first 100 characters (enough to tell the statements apart). */
function textCounter() {
  const byText = new Map<string, number>();
  // The key of each statement text, worked out once per text: the counting runs in the app's process, for every
  // statement, and a regular expression per statement was ~1% of the CPU it measures.
  const keys = new Map<string, string>();
  return {
    byText,
    add(text: string) {
      let key = keys.get(text);
      if (key === undefined) {
        if (keys.size > 10_000) keys.clear();
        keys.set(text, (key = text.replace(/\s+/g, ' ').trim().slice(0, 100)));
      }
      byText.set(key, (byText.get(key) ?? 0) + 1);
    },
  };
}

export async function openBenchStore(kind: string, dbPath?: string): Promise<BenchStore> {
  const dir = mkdtempSync(join(tmpdir(), 'cc-bench-store-'));
  if (kind === 'pg') {
    const script = join(dirname(fileURLToPath(import.meta.url)), '../postgres/cluster.sh');
    // Beside, not inside, the 0700 temporary directory: the cluster runs as the postgres user.
    const clusterDir = `${dir}-pg`;
    const url = execFileSync('bash', [script, 'start', clusterDir], {
      encoding: 'utf8',
      env: { ...process.env, CC_PG_DURABLE: '1' },
    }).trim();
    const counts = { data: 0, control: 0 };
    const texts = textCounter();
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
      if (text !== undefined) {
        counts[TX_CONTROL.test(text) ? 'control' : 'data']++;
        texts.add(text);
      }
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    const store = await openPgStore(url);
    return {
      kind: 'pg',
      repos: createPgRepos(store.db),
      exec: async <T>(q: SQL) => (await store.db.execute(q)).rows as T[],
      statements: () => ({ ...counts }),
      byText: () => new Map(texts.byText),
      async close() {
        await store.close();
        execFileSync('bash', [script, 'stop', clusterDir]);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const store = openStore(dbPath ?? join(dir, 'bench.db'));
  // better-sqlite3 runs every statement through one of these, drizzle's BEGIN / COMMIT / SAVEPOINT included (counted
  // apart, as on PostgreSQL); only better-sqlite3's own db.transaction() begins and commits without them.
  const proto = Object.getPrototypeOf(store.sqlite.prepare('select 1')) as Record<string, unknown>;
  const counts = { data: 0, control: 0 };
  const texts = textCounter();
  for (const name of ['run', 'get', 'all', 'iterate']) {
    const fn = proto[name] as (...a: unknown[]) => unknown;
    proto[name] = function (this: { source: string }, ...a: unknown[]) {
      counts[TX_CONTROL.test(this.source) ? 'control' : 'data']++;
      texts.add(this.source);
      return fn.apply(this, a);
    };
  }
  return {
    kind: 'sqlite',
    repos: createRepos(store.db),
    sqlite: store.sqlite,
    async exec<T>(q: SQL) {
      const { sql, params } = new SQLiteSyncDialect().sqlToQuery(q);
      const stmt = store.sqlite.prepare(sql);
      if (stmt.reader) return stmt.all(...params) as T[];
      stmt.run(...params);
      return [];
    },
    statements: () => ({ ...counts }),
    byText: () => new Map(texts.byText),
    async close() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
