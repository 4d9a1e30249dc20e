// The tasks' expiry asks the store every dialer tick for the unfinished tasks whose expiredTime has passed: the store
// filters them (issue 21), so a tick maps none of the others, however many there are. On SQLite (and
// CC_TEST_STORE=pg on PostgreSQL).
import t from 'tap';
import { TaskStatus } from '../../src/core/codes.js';
import { testDatabase, testStore } from '../support/store.js';
import { seedProjectTask } from '../support/store-task.js';

const NOW = Date.UTC(2026, 11, 5, 11);

t.test(`on ${testStore()}, the tasks in some states, and of them those expired by a time`, async (t) => {
  const store = await (await testDatabase(t)).open();
  t.teardown(() => store.close());
  const { repos } = store;
  const { project, task } = await seedProjectTask(repos, NOW);
  const add = (callTaskCode: string, expiredTime: number) =>
    repos.tasks.insert(
      { callTaskCode, projectId: project.id, scheduleType: 1, callType: 1, rate: 1, expiredTime },
      NOW,
    );
  const past = await add('past', NOW - 1);
  const atNow = await add('now', NOW);
  const ended = await add('ended', NOW - 1);
  await repos.tasks.update(ended.id, { status: TaskStatus.ended }, NOW);
  const unfinished = [TaskStatus.init, TaskStatus.running, TaskStatus.paused];
  const codes = (rows: { callTaskCode: string }[]) => rows.map((r) => r.callTaskCode).sort();

  t.same(codes(await repos.tasks.inStates(unfinished)), codes([task, past, atNow]), 'every unfinished task');
  t.same(
    codes(await repos.tasks.inStates(unfinished, NOW)),
    ['now', 'past'],
    'expired by now: not the task of tomorrow, not the ended one',
  );
  t.same(await repos.tasks.inStates(unfinished, NOW - 2), [], 'none expired before');
});
