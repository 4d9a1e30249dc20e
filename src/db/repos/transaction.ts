// The SQLite repositories' transactions: better-sqlite3's own, built once per database and reused.
//
// drizzle's `db.transaction(fn)` builds, for every call, a transaction object (a whole query-builder database, with a
// relational query builder per table of the schema) and a fresh better-sqlite3 transaction function (four wrapped
// variants with their properties), then throws both away: on the per-attempt writes (the outcome batch, dispensing)
// that was ~150 ms of the main thread in a 37 s campaign (issue 21), several times what BEGIN and COMMIT cost the
// database. The function built here runs the same statements (BEGIN DEFERRED, COMMIT, ROLLBACK; SAVEPOINT, RELEASE,
// ROLLBACK TO when called inside another transaction, drizzle's or this one), so atomicity and nesting are unchanged.
// Inside it, the repositories use `db` itself: SQLite has one connection, and the transaction is on it.
import type Database from 'better-sqlite3';
import type { Db } from '../database.js';

type Transaction = <T>(work: () => T) => T;

const built = new WeakMap<Database.Database, Transaction>();

/** Runs `work` in a transaction (a savepoint when one is open): committed if it returns, rolled back if it throws. */
export function transactionOf(db: Db): Transaction {
  const client = db.$client;
  let transaction = built.get(client);
  if (!transaction) {
    const run = client.transaction((work: () => unknown) => work()).deferred;
    transaction = <T>(work: () => T): T => run(work) as T;
    built.set(client, transaction);
  }
  return transaction;
}
