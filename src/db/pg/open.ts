// Opens the PostgreSQL store (CC_DATABASE_URL, issue 19): a node-postgres pool, drizzle over it with the pg schema,
// and the committed pg migrations applied at start-up. The SQLite counterpart is src/db/database.ts.
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import pg from 'pg';
import { DatabaseTooNewError } from '../database.js';
import * as schema from './schema.js';

export type PgDb = NodePgDatabase<typeof schema>;
export interface PgStore {
  db: PgDb;
  pool: pg.Pool;
  close(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
/**
 * Under tsx this file is src/db/pg/open.ts, beside migrations/; bundled into dist/main.js it sits beside the SQLite
 * migrations, and scripts/build-server.mjs copies these to dist/pg-migrations.
 */
export const pgMigrationsFolder = resolve(here, basename(here) === 'pg' ? 'migrations' : 'pg-migrations');

/** Where drizzle records the applied migrations (its defaults, spelled out because refuseNewerDatabase reads it). */
const MIGRATIONS_SCHEMA = 'drizzle';
const MIGRATIONS_TABLE = '__drizzle_migrations';
/**
 * Taken while migrating, so two servers starting at once on one database do not both create the tables (the second
 * waits, then finds nothing to do). Any fixed 64-bit number; this one spells "callcenter".
 */
const MIGRATION_LOCK = 0x63616c6c63656e74n;

/** PostgreSQL could not be reached or refused us: the message names where, never the password. */
export class PgUnavailableError extends Error {}

interface PgStoreOptions {
  /** Connections in the pool (default 10). */
  max?: number;
  /** How long to wait for a connection before failing (default 10 s). */
  connectTimeoutMs?: number;
}

export async function openPgStore(url: string, options: PgStoreOptions = {}): Promise<PgStore> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    // Chinese names and notes: the server's encoding is the database's, the client's is always UTF-8.
    client_encoding: 'UTF8',
  });
  // An idle client losing its connection (a restarted PostgreSQL) must not crash the process: the pool drops it
  // and the next query opens a new one.
  pool.on('error', () => undefined);
  const close = () => pool.end();
  try {
    const db = drizzle(pool, { schema });
    const client = await connect(pool, url);
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
      await refuseNewerDatabase(client, url);
      // On the locked connection itself: the pool may have no other (max 1, as the CLI opens it).
      await migrate(drizzle(client, { schema }), {
        migrationsFolder: pgMigrationsFolder,
        migrationsSchema: MIGRATIONS_SCHEMA,
        migrationsTable: MIGRATIONS_TABLE,
      });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]).catch(() => undefined);
      client.release();
    }
    return { db, pool, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

/** The first connection, with a clear message when there is none. */
async function connect(pool: pg.Pool, url: string): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (err) {
    throw new PgUnavailableError(`${describeFailure(err)} (PostgreSQL at ${describePgUrl(url)})`, {
      cause: err,
    });
  }
}

function describeFailure(err: unknown): string {
  const e = err as { code?: string; message?: string };
  switch (e.code) {
    case '28P01':
    case '28000':
      return 'PostgreSQL refused the user name or password in CC_DATABASE_URL';
    case '3D000':
      return 'the database in CC_DATABASE_URL does not exist (create it first: createdb NAME)';
    case 'ECONNREFUSED':
    case 'ENOENT':
      return 'cannot reach PostgreSQL: nothing listens there';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'cannot reach PostgreSQL: the host name does not resolve';
    default:
      return `cannot connect to PostgreSQL: ${(e.message ?? String(err)).replace(/password=\S+/g, 'password=***')}`;
  }
}

/** host:port/database (or the socket directory) of a connection URL, without user or password. */
export function describePgUrl(url: string): string {
  try {
    const u = new URL(url);
    const socketDir = u.searchParams.get('host');
    const host = socketDir ?? (u.hostname || 'localhost');
    const where = socketDir ? `socket ${socketDir}/.s.PGSQL.${u.port || 5432}` : `${host}:${u.port || 5432}`;
    return `${where}, database ${decodeURIComponent(u.pathname.slice(1)) || '(default)'}`;
  } catch {
    return '(an unreadable URL)';
  }
}

/**
 * As for SQLite (src/db/database.ts): drizzle applies only migrations newer than the newest recorded one, so an older
 * server on a database a newer one migrated would read and write tables it does not know. Refuse.
 */
async function refuseNewerDatabase(client: pg.PoolClient, url: string): Promise<void> {
  const table = await client.query<{ name: string | null }>('SELECT to_regclass($1) AS name', [
    `${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`,
  ]);
  if (!table.rows[0]?.name) return;
  const newestKnown = Math.max(
    0,
    ...readMigrationFiles({ migrationsFolder: pgMigrationsFolder }).map((m) => m.folderMillis),
  );
  const newer = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM "${MIGRATIONS_SCHEMA}"."${MIGRATIONS_TABLE}" WHERE created_at > $1`,
    [newestKnown],
  );
  const count = Number(newer.rows[0]?.n ?? 0);
  if (count === 0) return;
  throw new DatabaseTooNewError(
    `the PostgreSQL database at ${describePgUrl(url)} was upgraded by a newer callcenter: it has ${count} schema ` +
      `migration(s) this version does not know (the newest this version knows is from ` +
      `${new Date(newestKnown).toISOString()}). Run the newer version, or restore a backup taken before the upgrade.`,
  );
}
