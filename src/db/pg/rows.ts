// Small shapes shared by the PostgreSQL repositories.
import type { PgDb } from './open.js';

/** A transaction handed to `db.transaction(async (tx) => …)`: runs the same queries as the database. */
export type PgTx = Parameters<Parameters<PgDb['transaction']>[0]>[0];
/** Either: a helper that must run inside a caller's transaction takes a PgTx; one that may run alone takes this. */
export type PgExecutor = PgDb | PgTx;

/** The first row of a result, as SQLite's `.get()` gives it. */
export const first = <T>(rows: T[]): T | undefined => rows[0];

/** The row an INSERT/UPDATE … RETURNING of one row gave (none would be a bug: the statement cannot miss). */
export function one<T>(rows: T[]): T {
  const row = rows[0];
  if (row === undefined) throw new Error('the statement returned no row');
  return row;
}

/** Rows a write without RETURNING touched (node-postgres' rowCount; null only for commands that touch none). */
export const changed = (result: { rowCount: number | null }): number => result.rowCount ?? 0;

/**
 * Rows per multi-row insert: PostgreSQL binds at most 65,535 parameters per statement, and the widest bulk insert
 * here (dnc restore) has 5 columns.
 */
export const INSERT_CHUNK = 2000;

/**
 * A transaction on either: on the database a new one, inside a transaction a savepoint. So a repository built on a
 * transaction (`pgTasksRepo(tx)`) runs its own atomic steps inside the caller's unit.
 */
export const transaction = <T>(db: PgExecutor, fn: (tx: PgTx) => Promise<T>): Promise<T> =>
  (db as PgDb).transaction(fn);
