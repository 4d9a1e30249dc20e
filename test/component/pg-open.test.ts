// Opening the PostgreSQL store (issue 19): migrations at start-up, idempotent and safe when two servers start at once;
// a database a newer version migrated is refused; an unreachable server or a wrong password fails with a message that
// says where and never prints the password.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { DatabaseTooNewError } from '../../src/db/database.js';
import { openPgStore, PgUnavailableError } from '../../src/db/pg/open.js';
import { freshPgDatabase, withDatabase } from '../support/postgres.js';

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

t.test('a fresh database gets every table; opening again (and twice at once) changes nothing', async (t) => {
  const url = await freshPgDatabase(t);
  const [a, b] = await Promise.all([openPgStore(url), openPgStore(url)]);
  t.teardown(() => Promise.all([a.close(), b.close()]));
  const tables = await a.db.execute<{ n: string }>(
    sql`select count(*) as n from information_schema.tables where table_schema = 'public'`,
  );
  // The 14 tables both stores have, and the cluster's own three (project_leases, cluster_instances, capacity_claims).
  t.equal(Number(tables.rows[0]?.n), 17);
  const applied = await a.db.execute<{ n: string }>(
    sql`select count(*) as n from drizzle.__drizzle_migrations`,
  );
  const before = Number(applied.rows[0]?.n);
  t.ok(before >= 1);
  const c = await openPgStore(url);
  await c.close();
  const again = await a.db.execute<{ n: string }>(
    sql`select count(*) as n from drizzle.__drizzle_migrations`,
  );
  t.equal(Number(again.rows[0]?.n), before, 'no migration applied twice');
});

t.test('a database migrated by a newer version is refused, and left as it was', async (t) => {
  const url = await freshPgDatabase(t);
  const store = await openPgStore(url);
  await store.db.execute(
    sql`insert into drizzle.__drizzle_migrations (hash, created_at) values ('from-the-future', ${Date.now() + 86_400_000})`,
  );
  await store.close();
  const err = await rejection(openPgStore(url));
  t.type(err, DatabaseTooNewError);
  t.match(err.message, /upgraded by a newer callcenter: it has 1 schema migration/);
  t.match(err.message, /database cc_test_/);
});

t.test('a wrong password names the server and database, never the password', async (t) => {
  const url = new URL(await freshPgDatabase(t));
  url.password = 'wrong-Pa55word';
  const err = await rejection(openPgStore(url.toString()));
  t.type(err, PgUnavailableError);
  t.match(err.message, /refused the user name or password/);
  t.match(err.message, /socket .*\.s\.PGSQL\.5432, database cc_test_/);
  t.notMatch(err.message, /wrong-Pa55word/);
});

t.test('a database that does not exist is named', async (t) => {
  const url = withDatabase(await freshPgDatabase(t), 'no_such_db');
  const err = await rejection(openPgStore(url));
  t.type(err, PgUnavailableError);
  t.match(err.message, /does not exist.*database no_such_db/);
});

t.test('nothing listening: host and port in the message', async (t) => {
  // Port 1 on loopback: nothing listens there, and the refusal is immediate.
  const err = await rejection(openPgStore('postgres://cc:Secret99@127.0.0.1:1/callcenter'));
  t.type(err, PgUnavailableError);
  t.match(err.message, /cannot reach PostgreSQL.*127\.0\.0\.1:1, database callcenter/);
  t.notMatch(err.message, /Secret99/);
});
