// Opens SQLite with the settings a multi-writer server needs and applies the committed migrations.
// Only main.ts (with the configured path) and tests (with ':memory:') call this.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import * as schema from './schema.js';
import { PRIVATE_DIR_MODE, privateDatabaseFiles } from './private-files.js';

/** drizzle's database and, as `$client`, the better-sqlite3 connection under it (repos/transaction.ts). */
export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };
export interface Store {
  db: Db;
  sqlite: Database.Database;
  close(): void;
}

export const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), 'migrations');

export function openStore(path: string): Store {
  if (path !== ':memory:') {
    // A directory made here is owner-only; an existing one is left alone (it may be shared, /var/lib): the data
    // directory itself is tightened by main.ts (ensurePrivateDir), and the files are 0600 either way.
    mkdirSync(dirname(resolve(path)), { recursive: true, mode: PRIVATE_DIR_MODE });
    privateDatabaseFiles(path);
  }
  const sqlite = new Database(path);
  // WAL lets readers (API queries) run while the dialer writes; busy_timeout rides out a concurrent writer.
  if (path !== ':memory:') {
    sqlite.pragma('journal_mode = WAL');
    privateDatabaseFiles(path);
  }
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = drizzle(sqlite, { schema });
  try {
    refuseNewerDatabase(sqlite, path);
  } catch (err) {
    sqlite.close();
    throw err;
  }
  migrate(db, { migrationsFolder });
  return {
    db,
    sqlite,
    close: () => {
      if (sqlite.open) sqlite.close();
    },
  };
}

/** A database that a newer callcenter has migrated: this version does not know its tables and must not write it. */
export class DatabaseTooNewError extends Error {}

/**
 * Drizzle applies the migrations whose journal time is after the newest row of __drizzle_migrations, so an older
 * server on a newer database would silently skip nothing and then read and write tables it does not know. Refuse.
 */
function refuseNewerDatabase(sqlite: Database.Database, path: string): void {
  const newer = unknownMigrations(sqlite);
  if (!newer) return;
  throw new DatabaseTooNewError(
    `the database ${path} was upgraded by a newer callcenter: it has ${newer.count} schema migration(s) this ` +
      `version does not know (the newest this version knows is from ${new Date(newer.newestKnown).toISOString()}). ` +
      'Run the newer version, or restore a backup taken before the upgrade (README, "Deploying").',
  );
}

/** Migrations recorded in the database that are newer than every one this version ships, or undefined. */
export function unknownMigrations(
  sqlite: Database.Database,
): { count: number; newestKnown: number } | undefined {
  const table = sqlite
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'")
    .get();
  if (!table) return undefined;
  const newestKnown = Math.max(0, ...readMigrationFiles({ migrationsFolder }).map((m) => m.folderMillis));
  const { n } = sqlite
    .prepare('SELECT count(*) n FROM __drizzle_migrations WHERE CAST(created_at AS INTEGER) > ?')
    .get(newestKnown) as { n: number };
  return n > 0 ? { count: n, newestKnown } : undefined;
}
