// A process killed in the middle of an outcome batch (SQLite: the call logs written, the numbers not yet settled)
// leaves the database as it was before the batch: no call log whose number is still dialing, and the numbers left
// for the start-up recovery (issue 21 moved the batch onto better-sqlite3's own transaction).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { testDatabase } from '../support/store.js';
import { seedRunningTask } from '../support/store-task.js';

const child = join(dirname(fileURLToPath(import.meta.url)), '../support/outcome-crash-child.ts');
const NOW = Date.UTC(2026, 11, 5, 10);

t.test('killed between the call logs and the numbers, a batch leaves nothing behind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-crash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'cc.sqlite');
  const database = await testDatabase(t, path);
  const before = await database.open();
  const { task } = await seedRunningTask(before.repos, NOW, ['13800000001', '13800000002']);
  const dialled = await before.repos.numbers.dispenseNumbers(task.id, 2, NOW);
  await before.close();

  const run = spawnSync(process.execPath, ['--import=tsx', child, path, JSON.stringify(dialled)], {
    encoding: 'utf8',
  });
  t.equal(run.signal, 'SIGKILL', `the writer was killed mid-batch (${run.stderr.trim()})`);
  t.notMatch(run.stdout, /not killed/);

  const after = await database.open();
  t.teardown(() => after.close());
  t.same(await after.exec(sql`select call_uuid from call_logs`), [], 'no call log was committed');
  t.same(
    (await after.exec<{ state: string }>(sql`select state from task_numbers order by id`)).map(
      (r) => r.state,
    ),
    ['dialing', 'dialing'],
    'the numbers are still dialing, for the start-up recovery',
  );
});
