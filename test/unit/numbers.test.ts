import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openStore, type Store } from '../../src/db/database.js';
import { nodesRepo } from '../../src/db/repos/nodes.js';
import { projectsRepo } from '../../src/db/repos/projects.js';
import { tasksRepo } from '../../src/db/repos/tasks.js';
import { numberStore } from '../../src/db/repos/numbers.js';
import type { DispensedNumber } from '../../src/dialer/number-source.js';

const NOW = Date.UTC(2026, 10, 23, 8);

/** A store with one project and one task holding `count` numbers; returns the task id. */
function seedTask(store: Store, count: number): number {
  const node = nodesRepo(store.db).seedIfEmpty(
    {
      name: 'n',
      eslHost: '127.0.0.1',
      eslPort: 8021,
      eslPassword: 'ClueCon',
      wssUrl: 'wss://x',
      nativeAddress: 'x:5060',
      sipDomain: 'x',
      maxSessions: 100,
      sessionsPerSecond: 10,
    },
    NOW,
  );
  const project = projectsRepo(store.db).insert(
    { projectCode: 'p', seats: 1, nodeId: node?.id ?? 1, certificate: 'C' },
    NOW,
  );
  const tasks = tasksRepo(store.db);
  const task = tasks.insert(
    {
      callTaskCode: 'T',
      projectId: project.id,
      scheduleType: 1,
      callType: 1,
      rate: 1,
      expiredTime: NOW + 86_400_000,
    },
    NOW,
  );
  tasks.addNumbers(
    task.id,
    Array.from({ length: count }, (_, i) => `1380000${String(i).padStart(4, '0')}`),
    NOW,
  );
  return task.id;
}

const ids = (batches: DispensedNumber[][]) => batches.flat().map((n) => n.id);

t.test('dispensing within one process', async (t) => {
  const store = openStore(':memory:');
  t.teardown(() => store.close());
  const taskId = seedTask(store, 10);
  const numbers = numberStore(store.db);

  await t.test('interleaved batches and preview reservations never share a number', async (t) => {
    const got = [
      numbers.dispenseNumbers(taskId, 3, NOW),
      numbers.reservePreview(taskId, 2, 'agent-a', NOW),
      numbers.dispenseNumbers(taskId, 0, NOW),
      numbers.reservePreview(taskId, 2, 'agent-b', NOW),
      numbers.dispenseNumbers(taskId, 5, NOW),
    ];
    t.same(
      got.map((g) => g.length),
      [3, 2, 0, 2, 3],
      'the last batch gets what is left',
    );
    t.equal(new Set(ids(got)).size, 10);
    t.same(numbers.dispenseNumbers(taskId, 5, NOW), [], 'an exhausted task dispenses nothing');
  });

  await t.test(
    'an agent gives back only its own previewed numbers, which may then be dispensed once',
    async (t) => {
      t.equal(numbers.releasePreview(taskId, 'agent-c', NOW), 0);
      const phoneOfB = store.sqlite
        .prepare("select phone from task_numbers where assigned_to = 'agent-b' order by id limit 1")
        .get() as { phone: string };
      t.equal(numbers.releasePreview(taskId, 'agent-b', NOW, [phoneOfB.phone]), 1);
      t.equal(numbers.releasePreview(taskId, 'agent-b', NOW), 1);
      const again = numbers.dispenseNumbers(taskId, 5, NOW);
      t.equal(again.length, 2);
      t.same(numbers.dispenseNumbers(taskId, 5, NOW), []);
    },
  );

  await t.test('settling marks a number done with its call and result', async (t) => {
    const [n] = store.sqlite.prepare("select id from task_numbers where state = 'dialing' limit 1").all() as {
      id: number;
    }[];
    if (!n) throw new Error('no dialing number');
    numbers.settleNumber(n.id, { callUuid: 'u-1', resultDetail: 55 }, NOW + 1);
    t.match(store.sqlite.prepare('select * from task_numbers where id = ?').get(n.id), {
      state: 'done',
      call_uuid: 'u-1',
      result_detail: 55,
    });
  });
});

t.test('across a restart and a second process on the same file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-numbers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'cc.sqlite');
  const first = openStore(file);
  const taskId = seedTask(first, 30);
  const before = numberStore(first.db);
  const handed: DispensedNumber[][] = [before.dispenseNumbers(taskId, 4, NOW)];
  before.markCall(handed[0]![0]!.id, 'live-call', NOW);
  before.markCall(handed[0]![1]!.id, 'dead-call', NOW);
  handed.push(before.reservePreview(taskId, 3, 'agent-a', NOW));
  first.close(); // the "crash": nothing settled

  const second = openStore(file);
  const other = openStore(file); // another process on the same file
  t.teardown(() => {
    second.close();
    other.close();
  });
  const after = numberStore(second.db);
  const otherNumbers = numberStore(other.db);

  await t.test(
    'recovery keeps live calls dialing and closes the rest as not connected, never pending',
    async (t) => {
      const r = after.recoverAtStartup(NOW + 1000, (uuid) => uuid === 'live-call');
      t.same(
        r.kept.map((n) => n.id),
        [handed[0]![0]!.id],
      );
      t.same(
        r.closed.map((n) => n.id),
        handed[0]!.slice(1).map((n) => n.id),
      );
      const rows = second.sqlite
        .prepare('select state, result_detail, assigned_to from task_numbers where id in (?, ?, ?)')
        .all(handed[0]![1]!.id, handed[1]![0]!.id, handed[0]![0]!.id) as {
        state: string;
        result_detail: number | null;
        assigned_to: string | null;
      }[];
      t.same(
        rows,
        [
          { state: 'dialing', result_detail: null, assigned_to: null },
          { state: 'done', result_detail: 5, assigned_to: null },
          { state: 'preview', result_detail: null, assigned_to: 'agent-a' },
        ],
        'the previewed numbers keep their agent',
      );
    },
  );

  await t.test(
    'numbers handed out before the restart are never handed out again, whichever process asks',
    async (t) => {
      for (let i = 0; i < 12; i++) {
        handed.push(after.dispenseNumbers(taskId, 2, NOW + i));
        handed.push(otherNumbers.dispenseNumbers(taskId, 1, NOW + i));
      }
      const all = ids(handed);
      t.equal(all.length, 30, 'all 30 numbers were handed out');
      t.equal(new Set(all).size, 30, 'none twice');
      const again = after.recoverAtStartup(NOW + 2000, () => true);
      t.equal(again.kept.length, 1, 'the call FreeSWITCH still has stays dialing');
      t.equal(
        again.closed.length,
        23,
        'numbers with no recorded call cannot be proven live: closed, not redialled',
      );
    },
  );
});
