// A statement built by drizzle once and then run on better-sqlite3 itself, its values bound by position.
//
// drizzle's prepared query fills its placeholders from an object of named values (`${row}.${column}` for a batch's
// rows): building that object (a string key per row per column) and looking every parameter up in it, through
// drizzle's entity checks, cost more of the main thread than running the statement (issue 21: the outcome batch's
// values were ~65 ms of a 37 s campaign, and ~18 MiB of garbage per 20 s). Here the parameters' order is worked out
// once, when the statement is prepared, and a run passes an array in that order.
import { Placeholder } from 'drizzle-orm';
import type Database from 'better-sqlite3';
import type { Db } from '../database.js';

/** One parameter of the statement: a placeholder (by name) or a constant drizzle put in the text's place. */
type Param = { name: string } | { value: unknown };

interface BoundStatement {
  statement: Database.Statement;
  params: Param[];
}

/** Prepares the statement drizzle builds for `query`, with the order of its parameters. */
export function boundStatement(
  db: Db,
  query: { toSQL(): { sql: string; params: unknown[] } },
): BoundStatement {
  const { sql, params } = query.toSQL();
  return {
    statement: db.$client.prepare(sql),
    params: params.map((p) => (p instanceof Placeholder ? { name: String(p.name) } : { value: p })),
  };
}

/** The statement's values in order, from a value per placeholder name. */
export function namedArgs(params: Param[], values: Record<string, unknown>): unknown[] {
  return params.map((p) => {
    if (!('name' in p)) return p.value;
    if (!(p.name in values)) throw new Error(`no value for the statement's placeholder ${p.name}`);
    return values[p.name];
  });
}
