// SQLite keeps each task's call logs counted by (result, result_detail) in task_log_counts, through triggers on
// call_logs (migration 0007), so a task's progress is read without scanning its logs (issue 21). The counts must equal
// a scan after any mix of writes, and a database that already has logs gets them counted when it is migrated.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import t from 'tap';
import { migrationsFolder, openStore } from '../../src/db/database.js';
import { createRepos } from '../../src/db/repos/index.js';

type Sqlite = Database.Database;

/** What the counts say, as a scan of call_logs would: rows of task, result, detail (NULL as -1) and how many. */
const fromCounts = (s: Sqlite) =>
  s
    .prepare('SELECT task_id, result, result_detail, n FROM task_log_counts WHERE n > 0 ORDER BY 1, 2, 3')
    .all();
const fromScan = (s: Sqlite) =>
  s
    .prepare(
      `SELECT task_id, coalesce(result, -1) AS result, coalesce(result_detail, -1) AS result_detail, count(*) AS n
       FROM call_logs WHERE task_id IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    )
    .all();

function insertLog(
  s: Sqlite,
  uuid: string,
  taskId: number | null,
  result: number | null,
  detail: number | null,
) {
  s.prepare(
    `INSERT INTO call_logs (call_uuid, task_id, destination_number, result, result_detail, add_time, update_time)
     VALUES (?, ?, '13900000000', ?, ?, 0, 0)`,
  ).run(uuid, taskId, result, detail);
}

t.test(
  'the counts equal a scan of call_logs after random inserts, upserts, updates and deletes',
  async (t) => {
    const store = openStore(':memory:');
    t.teardown(store.close);
    const s = store.sqlite;
    s.pragma('foreign_keys = OFF'); // tasks 1–3 need no rows of their own here
    let seed = 7;
    // A small seeded generator (xorshift32, its high bits), so a failure replays.
    const rnd = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return Math.floor(((seed >>> 0) / 2 ** 32) * n);
    };
    const pick = <T>(xs: T[]): T => xs[rnd(xs.length)]!;
    const tasks = [1, 2, 3, null];
    const results = [10, 20, 30, null];
    const details = [10, 20, 55, 60, 61, null];
    const uuids: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const op = rnd(10);
      if (op < 4 || uuids.length === 0) {
        const uuid = `u${i}`;
        insertLog(s, uuid, pick(tasks), pick(results), pick(details));
        uuids.push(uuid);
      } else if (op < 6) {
        // The outcome batch's shape: an insert that finds the row and updates it instead.
        s.prepare(
          `INSERT INTO call_logs (call_uuid, task_id, destination_number, result, result_detail, add_time, update_time)
         VALUES (?, ?, '1', ?, ?, 0, 0)
         ON CONFLICT (call_uuid) DO UPDATE SET result = excluded.result, result_detail = excluded.result_detail`,
        ).run(pick(uuids), pick(tasks), pick(results), pick(details));
      } else if (op < 8) {
        s.prepare('UPDATE call_logs SET result = ?, result_detail = ? WHERE call_uuid = ?').run(
          pick(results),
          pick(details),
          pick(uuids),
        );
      } else if (op < 9) {
        s.prepare('UPDATE call_logs SET task_id = ?, billsec = 3 WHERE call_uuid = ?').run(
          pick(tasks),
          pick(uuids),
        );
      } else {
        s.prepare('DELETE FROM call_logs WHERE call_uuid = ?').run(pick(uuids));
      }
    }
    t.ok(fromScan(s).length > 20, 'the mix reached many groups');
    t.same(fromCounts(s), fromScan(s));
    // A rolled-back write leaves the counts as they were.
    const before = fromCounts(s);
    t.throws(() =>
      s.transaction(() => {
        insertLog(s, 'rolled-back', 1, 10, 10);
        throw new Error('abort');
      })(),
    );
    t.same(fromCounts(s), before);
  },
);

t.test("resultCounts reads the counts, not the task's call logs, and counts as the scan did", async (t) => {
  const store = openStore(':memory:');
  t.teardown(store.close);
  const s = store.sqlite;
  s.pragma('foreign_keys = OFF');
  const rows: [number, number | null, number | null][] = [
    [1, 10, 55],
    [1, 10, 55],
    [1, 20, 10],
    [1, 20, 60],
    [1, 20, 61],
    [1, 30, 20],
    [1, null, null],
    [2, 10, 55],
  ];
  rows.forEach(([task, result, detail], i) => insertLog(s, `c${i}`, task, result, detail));
  const proto = Object.getPrototypeOf(s.prepare('SELECT 1')) as Record<string, (...a: unknown[]) => unknown>;
  const read: string[] = [];
  const originals = new Map<string, (...a: unknown[]) => unknown>();
  for (const name of ['get', 'all', 'iterate']) {
    const fn = proto[name]!;
    originals.set(name, fn);
    proto[name] = function (this: { source: string }, ...a: unknown[]) {
      read.push(this.source);
      return fn.apply(this, a);
    };
  }
  t.teardown(() => {
    for (const [name, fn] of originals) proto[name] = fn;
  });
  const counts = await createRepos(store.db).tasks.resultCounts({ id: 1 });
  t.same(counts, {
    successCount: 2,
    failCount: 3,
    missCount: 1,
    rejectCount: 1,
    machineCount: 2,
    totalCount: 0,
  });
  t.ok(read.length > 0, 'the spy saw the reads');
  t.notOk(
    read.some((sql) => /call_logs/.test(sql)),
    `no read of call_logs: ${read.join(' | ')}`,
  );
});

t.test('a database with call logs from before migration 0007 has them counted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-log-counts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // The committed migrations up to 0006: the journal without its last entry.
  const older = join(dir, 'migrations');
  cpSync(migrationsFolder, older, { recursive: true });
  const journalFile = join(older, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
  t.equal(journal.entries.at(-1)?.tag, '0007_task_log_counts');
  journal.entries.pop();
  writeFileSync(journalFile, JSON.stringify(journal));
  const file = join(dir, 'cc.db');
  const old = new Database(file);
  migrate(drizzle(old), { migrationsFolder: older });
  old.pragma('foreign_keys = OFF');
  for (let i = 0; i < 50; i++)
    insertLog(old, `o${i}`, [1, 2, null][i % 3]!, [10, 20, 30, null][i % 4]!, [55, 60, null][i % 3]!);
  old.close();
  const store = openStore(file);
  t.teardown(store.close);
  t.ok(fromScan(store.sqlite).length > 5);
  t.same(fromCounts(store.sqlite), fromScan(store.sqlite), 'the migration counted the logs already there');
});
