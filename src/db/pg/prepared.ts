// A statement drizzle's query builders cannot prepare (a data-modifying WITH, an UPDATE … FROM a locked pick) built
// once and run as a named server-side statement with placeholder values, as `.prepare(name)` does for the builders
// (issue 21: building statements per use was about a third of the main thread at 110 attempts/s).
import { createHash } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { PgExecutor } from './rows.js';

const dialect = new PgDialect();

/**
 * `query` (its placeholders filled at each `execute`) prepared on `db`. The name is the text's digest: node-postgres
 * prepares a name once per connection and refuses one name for two texts, so equal texts share a name and different
 * ones never do, whoever prepares them.
 */
export function preparedSql<Row>(db: PgExecutor, query: SQL) {
  const built = dialect.sqlToQuery(query);
  const name = `cc_${createHash('sha1').update(built.sql).digest('hex').slice(0, 24)}`;
  return db._.session.prepareQuery<{ execute: { rows: Row[] }; all: unknown; values: unknown }>(
    built,
    undefined,
    name,
    false,
  );
}
