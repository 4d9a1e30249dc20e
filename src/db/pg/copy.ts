// `npm run cli -- db copy --to postgres://…` (issue 19): a one-way copy of a SQLite store into an empty PostgreSQL
// one. Every table, parents before children (the foreign keys say the order), in multi-row inserts inside one
// PostgreSQL transaction, so a failure leaves the target empty; then each id sequence is moved past the copied ids,
// and the row counts of both sides are compared table by table.
import type Database from 'better-sqlite3';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import * as schema from './schema.js';

/** Parameters per statement stay under PostgreSQL's 65,535; rows per statement bounded for memory. */
const MAX_PARAMS = 30_000;
const MAX_ROWS = 1000;

interface TablePlan {
  name: string;
  columns: string[];
  hasSerialId: boolean;
}

interface CopyReport {
  tables: { name: string; rows: number }[];
  total: number;
}

/** The PostgreSQL target already holds rows: a copy would mix two stores. */
export class TargetNotEmptyError extends Error {}
/** The copy finished but a table's count differs between the two stores (the transaction was rolled back). */
export class CopyMismatchError extends Error {}

/** The tables in an order where every table comes after the tables its foreign keys point at. */
function copyOrder(): TablePlan[] {
  const tables = (Object.values(schema) as unknown[]).filter((x): x is PgTable => x instanceof PgTable);
  const configs = new Map(tables.map((t) => [getTableConfig(t).name, getTableConfig(t)]));
  const ordered: TablePlan[] = [];
  const visit = (name: string, path: string[]) => {
    if (ordered.some((t) => t.name === name)) return;
    if (path.includes(name)) throw new Error(`foreign keys form a cycle: ${[...path, name].join(' → ')}`);
    const config = configs.get(name);
    if (!config) throw new Error(`unknown table ${name}`);
    for (const fk of config.foreignKeys) {
      const parent = getTableConfig(fk.reference().foreignTable).name;
      if (parent !== name) visit(parent, [...path, name]);
    }
    ordered.push({
      name,
      columns: config.columns.map((c) => c.name),
      hasSerialId: config.columns.some((c) => c.name === 'id' && c.primary && c.hasDefault),
    });
  };
  for (const name of [...configs.keys()].sort()) visit(name, []);
  return ordered;
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

async function countRows(client: pg.ClientBase, table: string): Promise<number> {
  const r = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quote(table)}`);
  return Number(r.rows[0]?.n ?? 0);
}

async function insertBatch(client: pg.ClientBase, plan: TablePlan, rows: Record<string, unknown>[]) {
  const params: unknown[] = [];
  const tuples = rows.map((row) => {
    const slots = plan.columns.map((c) => {
      params.push(row[c] ?? null);
      return `$${params.length}`;
    });
    return `(${slots.join(',')})`;
  });
  await client.query(
    `INSERT INTO ${quote(plan.name)} (${plan.columns.map(quote).join(',')}) VALUES ${tuples.join(',')}`,
    params,
  );
}

/** Streams one SQLite table into PostgreSQL in multi-row inserts; returns the rows copied. */
async function copyTable(sqlite: Database.Database, client: pg.ClientBase, plan: TablePlan): Promise<number> {
  const perStatement = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / plan.columns.length)));
  const order = plan.hasSerialId ? ' ORDER BY id' : '';
  const select = sqlite.prepare(
    `SELECT ${plan.columns.map(quote).join(',')} FROM ${quote(plan.name)}${order}`,
  );
  let batch: Record<string, unknown>[] = [];
  let copied = 0;
  for (const row of select.iterate() as Iterable<Record<string, unknown>>) {
    batch.push(row);
    if (batch.length === perStatement) {
      await insertBatch(client, plan, batch);
      copied += batch.length;
      batch = [];
    }
  }
  if (batch.length) await insertBatch(client, plan, batch);
  return copied + batch.length;
}

/**
 * Copies every table of the SQLite store into the PostgreSQL one (migrated, empty). The SQLite side is read in
 * one read transaction, so a server still running cannot make the copy see half of a change.
 */
export async function copySqliteToPg(sqlite: Database.Database, pool: pg.Pool): Promise<CopyReport> {
  const plans = copyOrder();
  const client = await pool.connect();
  sqlite.exec('BEGIN');
  try {
    await client.query('BEGIN');
    // No other writer may slip rows in between the emptiness check and the commit.
    await client.query(`LOCK TABLE ${plans.map((p) => quote(p.name)).join(', ')} IN EXCLUSIVE MODE`);
    const occupied = [];
    for (const plan of plans) if ((await countRows(client, plan.name)) > 0) occupied.push(plan.name);
    if (occupied.length)
      throw new TargetNotEmptyError(
        `the PostgreSQL database is not empty (rows in ${occupied.join(', ')}): copy only into a new, empty database`,
      );
    const tables: CopyReport['tables'] = [];
    for (const plan of plans) {
      const rows = await copyTable(sqlite, client, plan);
      const source = (sqlite.prepare(`SELECT count(*) AS n FROM ${quote(plan.name)}`).get() as { n: number })
        .n;
      const target = await countRows(client, plan.name);
      if (rows !== source || target !== source)
        throw new CopyMismatchError(`${plan.name}: ${source} rows in SQLite, ${target} copied to PostgreSQL`);
      if (plan.hasSerialId)
        // The next id PostgreSQL hands out comes after the copied ones (is_called false: nextval returns it as is).
        await client.query(
          `SELECT setval(pg_get_serial_sequence($1, 'id'), COALESCE((SELECT max(id) FROM ${quote(plan.name)}), 0) + 1, false)`,
          [plan.name],
        );
      tables.push({ name: plan.name, rows });
    }
    await client.query('COMMIT');
    return { tables, total: tables.reduce((n, t) => n + t.rows, 0) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    sqlite.exec('COMMIT');
    client.release();
  }
}
