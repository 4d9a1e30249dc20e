// `npm run cli -- db copy --to postgres://…` and `db migrate` (issue 19): a SQLite store with rows in every table
// arrives in PostgreSQL row for row (same ids, Chinese text, fen, epoch ms), later inserts continue after the copied
// ids, a non-empty target is refused untouched, and bad targets get clear messages.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, getTableColumns } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import t from 'tap';
import { runDbCli } from '../../src/cli.js';
import { openStore, type Db } from '../../src/db/database.js';
import { openPgStore } from '../../src/db/pg/open.js';
import * as pgSchema from '../../src/db/pg/schema.js';
import * as s from '../../src/db/schema.js';
import { freshPgDatabase } from '../support/postgres.js';

const NOW = Date.UTC(2026, 0, 28, 9, 30); // 2026 春节 campaign

/** One or more rows in every table, written with drizzle so the test does not depend on the repositories' shape. */
function fill(db: Db) {
  const at = { createdAt: NOW, updatedAt: NOW };
  db.insert(s.apiAccounts)
    .values({ account: 'crm', secret: 'x'.repeat(32), ...at })
    .run();
  db.insert(s.fsNodes)
    .values({
      name: '北京一号',
      eslHost: '127.0.0.1',
      eslPort: 8021,
      eslPassword: 'ClueCon',
      wssUrl: 'wss://fs:7443',
      nativeAddress: 'fs:5060',
      sipDomain: 'fs',
      maxSessions: 100,
      sessionsPerSecond: 10,
      ...at,
    })
    .run();
  db.insert(s.gateways)
    .values({
      gwCode: 'gw1',
      gwName: '联通线路',
      registerType: 1,
      realm: 'sip.example.cn',
      priceFen: 12.5,
      accountBalanceFen: 0.1 + 0.2,
      status: 1,
      returnVisit: 0,
      ...at,
    })
    .run();
  db.insert(s.projects)
    .values({ projectCode: 'P1', seats: 3, nodeId: 1, certificate: 'c1', ...at })
    .run();
  db.insert(s.extensions)
    .values({ username: '1001', nodeId: 1, password: 'p', type: 2, projectId: 1, claimedAt: NOW, ...at })
    .run();
  db.insert(s.voices)
    .values({ voiceCode: '欢迎语', filePath: '/v/welcome.wav', qiniuKey: null, ...at })
    .run();
  db.insert(s.callLists)
    .values({ name: '回访名单', ...at })
    .run();
  const phones = Array.from({ length: 2500 }, (_, i) => `138${String(i).padStart(8, '0')}`);
  for (let i = 0; i < phones.length; i += 500)
    db.insert(s.callListNumbers)
      .values(phones.slice(i, i + 500).map((phone) => ({ callListId: 1, phone, createdAt: NOW })))
      .run();
  db.insert(s.tasks)
    .values({
      callTaskCode: 'T1',
      projectId: 1,
      scheduleType: 1,
      callType: 1,
      callListId: 1,
      rate: 1.25,
      expiredTime: NOW + 86_400_000,
      retryRules: '[{"resultDetail":5,"afterMinutes":30}]',
      ...at,
    })
    .run();
  db.insert(s.taskGateways).values({ taskId: 1, gatewayId: 1, concurrency: 10 }).run();
  for (let i = 0; i < phones.length; i += 500)
    db.insert(s.taskNumbers)
      .values(phones.slice(i, i + 500).map((phone) => ({ taskId: 1, phone, updatedAt: NOW })))
      .run();
  db.insert(s.callLogs)
    .values({
      callUuid: 'u1',
      taskId: 1,
      projectId: 1,
      destinationNumber: '13800000000',
      gatewayId: 1,
      startTimestamp: NOW,
      hangupCause: '用户忙',
      priceCal: 7.25,
      addTime: NOW,
      updateTime: NOW,
    })
    .run();
  db.insert(s.dncNumbers)
    .values({ projectCode: '', phone: '13900000000', note: '投诉', createdAt: NOW })
    .run();
  db.insert(s.uploads)
    .values({ callUuid: 'u1', filePath: '/r/u1.wav', key: 'k', nextAttemptAt: NOW, ...at })
    .run();
}

const tableEntries = <T>(mod: object, is: (x: unknown) => x is T) =>
  Object.entries(mod).filter((e): e is [string, T] => is(e[1]));

function sqliteFile(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cc-copy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'callcenter.db');
}

t.test('every table arrives row for row; new rows continue after the copied ids', async (t) => {
  const dbPath = sqliteFile(t);
  const source = openStore(dbPath);
  fill(source.db);
  const url = await freshPgDatabase(t);
  const r = await runDbCli(['db', 'copy', '--to', url], dbPath);
  t.equal(r.code, 0, r.out);
  t.match(r.out, /copied 5012 rows in 14 tables .* row counts match/);
  t.match(r.out, /^fs_nodes\t1$/m);
  t.notMatch(r.out, new URL(url).password, 'the password is not printed');
  t.ok(
    r.out.indexOf('fs_nodes') < r.out.indexOf('projects') &&
      r.out.indexOf('tasks') < r.out.indexOf('task_numbers'),
    'parents before children',
  );

  const target = await openPgStore(url);
  t.teardown(() => target.close());
  const pgTables = new Map(tableEntries(pgSchema, (x): x is PgTable => x instanceof PgTable));
  for (const [key, table] of tableEntries(s, (x): x is SQLiteTable => x instanceof SQLiteTable)) {
    const pgTable = pgTables.get(key)!;
    const order = (cols: Record<string, unknown>) => Object.keys(cols).slice(0, 2);
    const liteCols = getTableColumns(table) as Record<string, never>;
    const pgCols = getTableColumns(pgTable) as Record<string, never>;
    const keys = 'id' in liteCols ? ['id'] : order(liteCols);
    const liteRows = source.db
      .select()
      .from(table)
      .orderBy(...keys.map((k) => asc(liteCols[k]!)))
      .all();
    const pgRows = await target.db
      .select()
      .from(pgTable)
      .orderBy(...keys.map((k) => asc(pgCols[k]!)));
    t.same(pgRows, liteRows, `${key}: the same rows`);
  }
  source.close();
  const [log] = await target.db
    .insert(pgSchema.callLogs)
    .values({ callUuid: 'after-copy', destinationNumber: '1', addTime: NOW, updateTime: NOW })
    .returning();
  t.equal(log?.id, 2, 'the sequence continues after the copied ids');

  const again = await runDbCli(['db', 'copy', '--to', url], dbPath);
  t.equal(again.code, 1);
  t.match(again.out, /not empty \(rows in .*call_logs.*\).*nothing was copied/);
});

t.test('a failure half-way leaves the target empty', async (t) => {
  const dbPath = sqliteFile(t);
  const source = openStore(dbPath);
  fill(source.db);
  // A value PostgreSQL refuses (text in an integer column, which SQLite keeps as it is), in the last table copied.
  source.sqlite.prepare("UPDATE uploads SET attempts = 'many'").run();
  source.close();
  const url = await freshPgDatabase(t);
  await t.rejects(runDbCli(['db', 'copy', '--to', url], dbPath));
  const target = await openPgStore(url);
  t.teardown(() => target.close());
  t.equal((await target.db.select().from(pgSchema.fsNodes)).length, 0);
  t.equal((await target.db.select().from(pgSchema.callListNumbers)).length, 0);
});

t.test('bad targets and a missing source are refused with a message', async (t) => {
  const dbPath = sqliteFile(t);
  t.match(await runDbCli(['db', 'copy', '--to', 'mysql://u:pw@h/db'], dbPath), {
    code: 2,
    out: /the copy target must be a PostgreSQL URL/,
  });
  t.match(await runDbCli(['db', 'copy'], dbPath), { code: 2, out: /usage: cli db migrate \| db copy --to/ });
  const url = await freshPgDatabase(t);
  t.match(await runDbCli(['db', 'copy', '--to', url], dbPath), { code: 1, out: /no SQLite database at/ });
  openStore(dbPath).close();
  const wrong = new URL(url);
  wrong.password = 'Wr0ngPass';
  const r = await runDbCli(['db', 'copy', '--to', wrong.toString()], dbPath);
  t.match(r, { code: 1, out: /refused the user name or password.*nothing was copied/ });
  t.notMatch(r.out, /Wr0ngPass/);
});

t.test('db migrate brings either store up to date', async (t) => {
  const dbPath = sqliteFile(t);
  t.match(await runDbCli(['db', 'migrate'], dbPath), { code: 0, out: /SQLite .*schema up to date/ });
  const url = await freshPgDatabase(t);
  t.match(await runDbCli(['db', 'migrate'], dbPath, url), {
    code: 0,
    out: /PostgreSQL at socket .*database cc_test_\w+: schema up to date/,
  });
  const store = await openPgStore(url);
  t.teardown(() => store.close());
  t.same(await store.db.select().from(pgSchema.tasks), []);
});
