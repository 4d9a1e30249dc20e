// Opens SQLite with the settings a multi-writer server needs and applies the committed migrations.
// Only main.ts (with the configured path) and tests (with ':memory:') call this.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.js';
import { PRIVATE_DIR_MODE, privateDatabaseFiles } from './private-files.js';

export type Db = BetterSQLite3Database<typeof schema>;
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
  migrate(db, { migrationsFolder });
  return {
    db,
    sqlite,
    close: () => {
      if (sqlite.open) sqlite.close();
    },
  };
}
