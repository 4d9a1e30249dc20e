// An outcome batch that the store partly refuses (issue 21 moved SQLite's batch onto better-sqlite3's own transaction
// and positional statements): the outcomes it can store are stored, each whole; the one it cannot leaves nothing
// behind, neither its call log nor its number settled. On SQLite (and CC_TEST_STORE=pg on PostgreSQL).
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { testDatabase, testStore, type OpenedTestStore } from '../support/store.js';
import { answeredOutcome } from '../support/call-outcome.js';
import { seedRunningTask } from '../support/store-task.js';

const NOW = Date.UTC(2026, 11, 5, 9);

async function stored(store: OpenedTestStore) {
  const logs = await store.exec<{ call_uuid: string }>(
    sql`select call_uuid from call_logs order by call_uuid`,
  );
  const numbers = await store.exec<{ id: number; state: string; call_uuid: string | null }>(
    sql`select id, state, call_uuid from task_numbers order by id`,
  );
  return {
    logs: logs.map((l) => l.call_uuid),
    numbers: numbers.map((n) => [n.state, n.call_uuid]),
  };
}

async function dialledTask(t: Test, count: number) {
  const store = await (await testDatabase(t)).open();
  t.teardown(() => store.close());
  const phones = Array.from({ length: count }, (_, i) => `1380000000${i}`);
  const { task } = await seedRunningTask(store.repos, NOW, phones);
  const dialled = await store.repos.numbers.dispenseNumbers(task.id, count, NOW);
  return { store, dialled };
}

t.test(`on ${testStore()}, an outcome whose call log is refused fails alone`, async (t) => {
  const { store, dialled } = await dialledTask(t, 3);
  const [a, b, c] = dialled.map((n) => n.callId);
  // Its task does not exist: the call log's foreign key refuses it, and with it the group's statement.
  const failed = await store.repos.callOutcomes.store(
    [
      answeredOutcome(a!, dialled[0]!.id),
      answeredOutcome(b!, dialled[1]!.id, 987654),
      answeredOutcome(c!, dialled[2]!.id),
    ],
    NOW + 1,
  );
  t.same(
    failed.map((f) => f.callId),
    [b],
    'the refused outcome is told',
  );
  t.same(
    await stored(store),
    {
      logs: [a, c].sort(),
      numbers: [
        ['done', a],
        ['dialing', b],
        ['done', c],
      ],
    },
    'the others are stored and settled; the refused one leaves its number dialing and writes no call log',
  );
});

t.test(`on ${testStore()}, a number that cannot be settled takes its call log back`, async (t) => {
  const { store, dialled } = await dialledTask(t, 2);
  const [a, b] = dialled.map((n) => n.callId);
  const refused = dialled[1]!.id;
  // The second number's update fails after the batch's call logs were written (SQLite: the settle statement; on
  // PostgreSQL: the same statement's data-modifying WITH).
  if (testStore() === 'sqlite')
    await store.exec(
      sql.raw(`create trigger refuse before update on task_numbers when new.id = ${refused}
        begin select raise(abort, 'refused'); end`),
    );
  else {
    await store.exec(
      sql.raw(`create function refuse() returns trigger language plpgsql as $$ begin
        if new.id = ${refused} then raise exception 'refused'; end if; return new; end $$`),
    );
    await store.exec(
      sql.raw('create trigger refuse before update on task_numbers for each row execute function refuse()'),
    );
  }
  const failed = await store.repos.callOutcomes.store(
    [answeredOutcome(a!, dialled[0]!.id), answeredOutcome(b!, refused)],
    NOW + 1,
  );
  t.same(
    failed.map((f) => f.callId),
    [b],
  );
  t.same(
    await stored(store),
    {
      logs: [a],
      numbers: [
        ['done', a],
        ['dialing', b],
      ],
    },
    'no call log is left without its number settled: the first outcome whole, nothing of the second',
  );
});
