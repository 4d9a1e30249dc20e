// The SQLite schema (src/db/schema.ts) and the PostgreSQL one (src/db/pg/schema.ts) describe the same store: the
// same tables, columns, JS types, nullability, defaults, keys, indexes and constraints, and the same TypeScript row
// types, so one set of repository ports serves both stores (issue 19). The type-level half fails `tsc`, the rest
// fails this test.
import { getTableConfig as pgConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import t from 'tap';
import * as sqlite from '../../src/db/schema.js';
import * as pg from '../../src/db/pg/schema.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type SameRows<Name extends keyof typeof sqlite & keyof typeof pg> = [
  Equal<(typeof sqlite)[Name]['$inferSelect'], (typeof pg)[Name]['$inferSelect']>,
  Equal<(typeof sqlite)[Name]['$inferInsert'], (typeof pg)[Name]['$inferInsert']>,
];
/** Compiles only when every table's select and insert row types are identical in both dialects. */
type AllSame = {
  [Name in keyof typeof sqlite & keyof typeof pg]: SameRows<Name> extends [true, true] ? true : Name;
};
const rowTypesMatch: AllSame = {
  apiAccounts: true,
  fsNodes: true,
  gateways: true,
  projects: true,
  extensions: true,
  voices: true,
  callLists: true,
  callListNumbers: true,
  tasks: true,
  taskGateways: true,
  taskNumbers: true,
  callLogs: true,
  dncNumbers: true,
  uploads: true,
};
// Both modules export exactly the same names (a table only in one would escape the mapped type above).
const sameExports: Equal<keyof typeof sqlite, keyof typeof pg> = true;

interface ColumnLike {
  name: string;
  dataType: string;
  notNull: boolean;
  hasDefault: boolean;
  default: unknown;
  primary: boolean;
  isUnique: boolean;
  uniqueName?: string;
  enumValues?: readonly string[];
}
interface ConfigLike {
  name: string;
  columns: ColumnLike[];
  indexes: { config: { name?: string; unique: boolean; columns: unknown[] } }[];
  foreignKeys: {
    reference(): { columns: { name: string }[]; foreignTable: unknown; foreignColumns: { name: string }[] };
    onDelete?: string;
    onUpdate?: string;
  }[];
  primaryKeys: { columns: { name: string }[] }[];
  uniqueConstraints: { name?: string; columns: { name: string }[] }[];
}

const tableName = (table: unknown): string =>
  table instanceof PgTable ? pgConfig(table).name : sqliteConfig(table as SQLiteTable).name;

/** What the two dialects must agree on, in a dialect-free shape. */
function describe(config: ConfigLike) {
  const byName = <T extends { name?: string }>(xs: T[]) =>
    [...xs].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
  return {
    name: config.name,
    columns: config.columns.map((c) => ({
      name: c.name,
      jsType: c.dataType,
      notNull: c.notNull,
      hasDefault: c.hasDefault,
      default: c.default,
      primary: c.primary,
      unique: c.isUnique ? c.uniqueName : false,
      enumValues: c.enumValues ?? null,
    })),
    indexes: byName(
      config.indexes.map((i) => ({
        name: i.config.name,
        unique: i.config.unique,
        columns: i.config.columns.map((c) => (c as { name: string }).name),
      })),
    ),
    foreignKeys: config.foreignKeys
      .map((fk) => {
        const r = fk.reference();
        return {
          columns: r.columns.map((c) => c.name),
          references: tableName(r.foreignTable),
          foreignColumns: r.foreignColumns.map((c) => c.name),
          onDelete: fk.onDelete ?? 'no action',
          onUpdate: fk.onUpdate ?? 'no action',
        };
      })
      .sort((a, b) => a.columns.join().localeCompare(b.columns.join())),
    primaryKeys: config.primaryKeys.map((pk) => pk.columns.map((c) => c.name)),
    uniqueConstraints: byName(
      config.uniqueConstraints.map((u) => ({ name: u.name, columns: u.columns.map((c) => c.name) })),
    ),
  };
}

const tablesOf = <T>(mod: Record<string, unknown>, isTable: (x: unknown) => x is T) =>
  Object.entries(mod).filter((e): e is [string, T] => isTable(e[1]));

t.test(
  'both dialects declare the same tables, columns, defaults, keys, indexes and constraints',
  async (t) => {
    t.ok(rowTypesMatch && sameExports, 'the row types are compared by tsc');
    const lite = tablesOf(sqlite, (x): x is SQLiteTable => x instanceof SQLiteTable);
    const post = tablesOf(pg, (x): x is PgTable => x instanceof PgTable);
    t.same(post.map(([k]) => k).sort(), lite.map(([k]) => k).sort(), 'the same tables');
    t.equal(lite.length, 14);
    for (const [key, table] of lite) {
      const other = post.find(([k]) => k === key)?.[1];
      if (!other) continue;
      const a = describe(sqliteConfig(table) as unknown as ConfigLike);
      const b = describe(pgConfig(other) as unknown as ConfigLike);
      t.same(b, a, `table ${a.name}`);
    }
  },
);

t.test('the cluster tables are PostgreSQL only, and kept out of the compared schema', async (t) => {
  // Several instances share one store only on PostgreSQL (issue 20): SQLite is one process's file, so the leases and
  // the instance list have no SQLite counterpart. They live in cluster-schema.ts, which no SQLite code reads.
  const cluster = await import('../../src/db/pg/cluster-schema.js');
  const names = tablesOf(cluster, (x): x is PgTable => x instanceof PgTable).map(([, tb]) => tableName(tb));
  t.same(names.sort(), ['capacity_claims', 'cluster_instances', 'project_leases']);
  const shared = tablesOf(pg, (x): x is PgTable => x instanceof PgTable).map(([, tb]) => tableName(tb));
  t.notOk(
    names.some((n) => shared.includes(n)),
    'not in schema.ts (whose tables must all exist in SQLite)',
  );
});

t.test('the comparison notices a difference (a column with another default)', async (t) => {
  const { integer: liteInt, sqliteTable } = await import('drizzle-orm/sqlite-core');
  const { integer: pgInt, pgTable } = await import('drizzle-orm/pg-core');
  const a = describe(
    sqliteConfig(sqliteTable('x', { n: liteInt('n').notNull().default(1) })) as unknown as ConfigLike,
  );
  const b = describe(pgConfig(pgTable('x', { n: pgInt('n').notNull().default(2) })) as unknown as ConfigLike);
  t.notSame(b, a);
});
