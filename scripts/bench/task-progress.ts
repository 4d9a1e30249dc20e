// What reading a task's progress costs on SQLite as its call logs grow (issue 21): callTaskStatus and the 2-second
// /topic/callTaskStatus publish per running task read the task's results on the main thread. Prints, per number of
// logs, the read through task_log_counts (migration 0007, what resultCounts runs) beside the scan of the task's logs
// it replaced, and what the counting triggers add to writing a call log (inserts with and without them).
//   node --import=tsx scripts/bench/task-progress.ts [logs per step, default 10000,100000,1000000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/db/database.js';
import { createRepos } from '../../src/db/repos/index.js';

const steps = (process.argv[2] ?? '10000,100000,1000000').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'cc-bench-progress-'));
const SCAN = `SELECT sum(CASE WHEN result = 10 THEN 1 ELSE 0 END), sum(CASE WHEN result = 20 THEN 1 ELSE 0 END),
  sum(CASE WHEN result = 30 THEN 1 ELSE 0 END), sum(CASE WHEN result_detail = 10 THEN 1 ELSE 0 END),
  sum(CASE WHEN result_detail IN (60, 61) THEN 1 ELSE 0 END) FROM call_logs WHERE task_id = 1`;
const INSERT = `INSERT INTO call_logs (call_uuid, task_id, destination_number, result, result_detail, hangup_cause,
  record_file, add_time, update_time) VALUES (?, 1, ?, ?, ?, 'NORMAL_CLEARING', ?, 0, 0)`;

/** Median ms of `runs` calls. */
function timed(runs: number, fn: () => unknown): number {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

try {
  const store = openStore(join(dir, 'progress.db'));
  const bare = openStore(join(dir, 'bare.db'));
  bare.sqlite.exec('DROP TRIGGER call_logs_counted_insert');
  for (const s of [store.sqlite, bare.sqlite]) s.pragma('foreign_keys = OFF'); // task 1 needs no row here
  const repos = createRepos(store.db);
  const scan = store.sqlite.prepare(SCAN);
  console.log(
    'call logs of the task | progress read (counts) ms | the scan it replaced ms | insert µs per log: with triggers / without',
  );
  let have = 0;
  for (const n of steps) {
    const write = (s: typeof store.sqlite) => {
      const ins = s.prepare(INSERT);
      const t0 = performance.now();
      s.transaction(() => {
        for (let i = have; i < n; i++)
          ins.run(`u${i}`, `139${i}`, [10, 20, 30][i % 3], [10, 20, 55, 60][i % 4], `/rec/2026/12/u${i}.wav`);
      })();
      return ((performance.now() - t0) * 1000) / (n - have);
    };
    const withTriggers = write(store.sqlite);
    const without = write(bare.sqlite);
    have = n;
    // The repository port is async; SQLite's answer is computed synchronously inside the call, which is what is timed.
    const counts = timed(21, () => void repos.tasks.resultCounts({ id: 1 }));
    const read = (await repos.tasks.resultCounts({ id: 1 })).successCount;
    const scanned = timed(n >= 1_000_000 ? 5 : 21, () => scan.get());
    console.log(
      `${String(n).padStart(21)} | ${counts.toFixed(3).padStart(25)} | ${scanned.toFixed(2).padStart(23)} | ${withTriggers.toFixed(1)} / ${without.toFixed(1)}   (successes counted: ${read})`,
    );
  }
  store.close();
  bare.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
