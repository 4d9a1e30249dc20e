// The number store's story, on SQLite and (numbers-pg.test.ts, CC_TEST_STORE=pg) on PostgreSQL: one suite.
import { sql } from 'drizzle-orm';
import t from 'tap';
import type { Repos } from '../../src/db/repos/index.js';
import type { DispensedNumber } from '../../src/dialer/number-source.js';
import { testDatabase, testStore } from '../support/store.js';
import { seedProjectTask } from '../support/store-task.js';

const NOW = Date.UTC(2026, 10, 23, 8);

/** A store with one project and one task holding `count` numbers; returns the task id. */
async function seedTask(repos: Repos, count: number): Promise<number> {
  const { task } = await seedProjectTask(repos, NOW);
  await repos.tasks.addNumbers(
    task.id,
    Array.from({ length: count }, (_, i) => `1380000${String(i).padStart(4, '0')}`),
    NOW,
  );
  return task.id;
}

const ids = (batches: DispensedNumber[][]) => batches.flat().map((n) => n.id);

t.test('dispensing within one process', async (t) => {
  const store = await (await testDatabase(t)).open();
  t.teardown(() => store.close());
  const taskId = await seedTask(store.repos, 10);
  const { numbers } = store.repos;

  await t.test('interleaved batches and preview reservations never share a number', async (t) => {
    const got = [
      await numbers.dispenseNumbers(taskId, 3, NOW),
      await numbers.reservePreview(taskId, 2, 'agent-a', NOW),
      await numbers.dispenseNumbers(taskId, 0, NOW),
      await numbers.reservePreview(taskId, 2, 'agent-b', NOW),
      await numbers.dispenseNumbers(taskId, 5, NOW),
    ];
    t.same(
      got.map((g) => g.length),
      [3, 2, 0, 2, 3],
      'the last batch gets what is left',
    );
    t.equal(new Set(ids(got)).size, 10);
    t.same(await numbers.dispenseNumbers(taskId, 5, NOW), [], 'an exhausted task dispenses nothing');
  });

  await t.test(
    'an agent gives back only its own previewed numbers, which may then be dispensed once',
    async (t) => {
      t.equal(await numbers.releasePreview(taskId, 'agent-c', NOW), 0);
      const [phoneOfB] = await store.exec<{ phone: string }>(
        sql`select phone from task_numbers where assigned_to = 'agent-b' order by id limit 1`,
      );
      t.equal(await numbers.releasePreview(taskId, 'agent-b', NOW, [phoneOfB!.phone]), 1);
      t.equal(await numbers.releasePreview(taskId, 'agent-b', NOW), 1);
      const again = await numbers.dispenseNumbers(taskId, 5, NOW);
      t.equal(again.length, 2);
      t.same(await numbers.dispenseNumbers(taskId, 5, NOW), []);
    },
  );

  await t.test(
    'each dialled number carries the uuid of its call, on its row from the statement that dispensed it',
    async (t) => {
      const rows = await store.exec<{ id: number; call_uuid: string | null; state: string }>(
        sql`select id, call_uuid, state from task_numbers where state in ('dialing', 'preview') order by id`,
      );
      const dialling = rows.filter((r) => r.state === 'dialing');
      t.equal(dialling.length, 8);
      for (const r of dialling)
        t.match(r.call_uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      t.equal(new Set(dialling.map((r) => r.call_uuid)).size, 8, 'one call each');
      t.same(
        rows.filter((r) => r.state === 'preview').map((r) => r.call_uuid),
        [null, null],
        'previewed numbers have no call yet',
      );
    },
  );

  await t.test('settling marks a number done with its call and result', async (t) => {
    const [n] = await store.exec<{ id: number }>(
      sql`select id from task_numbers where state = 'dialing' limit 1`,
    );
    if (!n) throw new Error('no dialing number');
    await numbers.settleNumber(n.id, { callUuid: 'u-1', resultDetail: 55 }, NOW + 1);
    t.match((await store.exec(sql`select * from task_numbers where id = ${n.id}`))[0], {
      state: 'done',
      call_uuid: 'u-1',
      result_detail: 55,
    });
  });
});

t.test(`across a restart and a second process on the same ${testStore()} database`, async (t) => {
  const db = await testDatabase(t);
  const first = await db.open();
  const taskId = await seedTask(first.repos, 30);
  const before = first.repos.numbers;
  const dialled = await before.dispenseNumbers(taskId, 4, NOW);
  const liveCall = dialled[0]!.callId;
  const handed: DispensedNumber[][] = [dialled];
  handed.push(await before.reservePreview(taskId, 3, 'agent-a', NOW));
  await first.close(); // the "crash": nothing settled

  const second = await db.open();
  const other = await db.open(); // another process on the same data
  t.teardown(async () => {
    await second.close();
    await other.close();
  });
  const after = second.repos.numbers;
  const otherNumbers = other.repos.numbers;

  await t.test(
    'recovery keeps live calls dialing and closes the rest as not connected, never pending',
    async (t) => {
      const r = await after.recoverAtStartup(NOW + 1000, (uuid) => uuid === liveCall);
      t.same(
        r.kept.map((n) => n.id),
        [handed[0]![0]!.id],
      );
      t.same(
        r.closed.map((n) => n.id),
        handed[0]!.slice(1).map((n) => n.id),
      );
      const rows = await second.exec<{
        state: string;
        result_detail: number | null;
        assigned_to: string | null;
      }>(
        sql`select state, result_detail, assigned_to from task_numbers where id in (${handed[0]![1]!.id}, ${handed[1]![0]!.id}, ${handed[0]![0]!.id}) order by id`,
      );
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
        handed.push(await after.dispenseNumbers(taskId, 2, NOW + i));
        handed.push(await otherNumbers.dispenseNumbers(taskId, 1, NOW + i));
      }
      const all = ids(handed);
      t.equal(all.length, 30, 'all 30 numbers were handed out');
      t.equal(new Set(all).size, 30, 'none twice');
      const again = await after.recoverAtStartup(NOW + 2000, (uuid) => uuid === liveCall);
      t.equal(again.kept.length, 1, 'the call FreeSWITCH still has stays dialing');
      t.equal(
        again.closed.length,
        23,
        'numbers whose call FreeSWITCH does not have are closed, not redialled',
      );
    },
  );
});

t.test(
  'a screened dispense passes over listed numbers, closing them, and reads on until it has the n wanted',
  async (t) => {
    const store = await (await testDatabase(t)).open();
    t.teardown(() => store.close());
    const { project, task } = await seedProjectTask(store.repos, NOW);
    const phones = Array.from({ length: 8 }, (_, i) => `1390000${String(i).padStart(4, '0')}`);
    await store.repos.tasks.addNumbers(task.id, phones, NOW);
    // The second and third of the first read (of the 3 wanted) are listed, and so is one further on.
    await store.repos.dnc.add(project.projectCode, [phones[1]!, phones[2]!, phones[5]!], null, NOW);
    const screen = {
      task: { id: task.id, projectId: project.id, callTaskCode: task.callTaskCode },
      projectCode: project.projectCode,
    };
    const first = await store.repos.numbers.dispenseNumbers(task.id, 3, NOW, screen);
    t.same(
      first.map((n) => n.phone),
      [phones[0], phones[3], phones[4]],
      'the listed ones are passed over for the next pending numbers',
    );
    const rest = await store.repos.numbers.dispenseNumbers(task.id, 10, NOW, screen);
    t.same(
      rest.map((n) => n.phone),
      [phones[6], phones[7]],
    );
    const closed = await store.exec<{ phone: string; note: string }>(
      sql`select phone, note from task_numbers where state = 'done' order by id`,
    );
    t.same(
      closed.map((r) => r.phone),
      [phones[1], phones[2], phones[5]],
      'every listed number is closed, none dialled',
    );
    t.ok(closed.every((r) => r.note.startsWith('not dialled')));
  },
);
