// The per-attempt statements are built once and then only run (issue 21: drizzle building them and the store
// compiling them for every use was about a third of the main thread at 110 attempts/s): after a first tick's view,
// dispensing and outcome batch, the same work of the same shapes prepares nothing on SQLite, and on PostgreSQL
// (prepared-statements-pg.test.ts) the view, the dispensing statement, the do-not-call lookup and the outcome batch
// run as named statements.
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import t from 'tap';
import { testDatabase, testStore } from '../support/store.js';
import { answeredOutcome } from '../support/call-outcome.js';
import { seedRunningTask } from '../support/store-task.js';

const NOW = Date.UTC(2026, 11, 5, 8);

/**
 * SQLite: statements compiled and transaction functions built from now on. PostgreSQL: the queries sent, named
 * (prepared) or not.
 */
function watchStatements(t: { teardown(fn: () => void): void }) {
  const seen = { prepared: 0, transactions: 0, named: 0, unnamed: [] as string[] };
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (this: Database.Database, source: string) {
    seen.prepared++;
    return prepare.call(this, source);
  } as typeof prepare;
  const transaction = Database.prototype.transaction;
  Database.prototype.transaction = function (this: Database.Database, fn: (...a: unknown[]) => unknown) {
    seen.transactions++;
    return transaction.call(this, fn);
  } as typeof transaction;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { name?: string; text?: string };
    if (typeof config === 'object' && config.name) seen.named++;
    else seen.unnamed.push(typeof config === 'string' ? config : (config.text ?? ''));
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  t.teardown(() => {
    Database.prototype.prepare = prepare;
    Database.prototype.transaction = transaction;
    pg.Client.prototype.query = query;
  });
  return {
    take() {
      const out = { ...seen };
      seen.prepared = 0;
      seen.transactions = 0;
      seen.named = 0;
      seen.unnamed = [];
      return out;
    },
  };
}

t.test(`a tick's statements are prepared once, on ${testStore()}`, async (t) => {
  const store = await (await testDatabase(t)).open();
  t.teardown(() => store.close());
  const { repos } = store;
  // Every tick dispenses 2 of them: its screening read and do-not-call lookup are of the same size each time.
  const { project, task } = await seedRunningTask(
    repos,
    NOW,
    Array.from({ length: 210 }, (_, i) => `1380000${String(i).padStart(4, '0')}`),
  );
  const screen = { task: { id: task.id, projectId: project.id, callTaskCode: 'T' }, projectCode: 'p' };
  const watch = watchStatements(t);

  /** One tick's store work: the view, a screened batch of 2 dispensed, their outcomes stored together. */
  const tick = async (at: number) => {
    t.same([...(await repos.dialerView.load(at)).due], [task.id]);
    await repos.tasks.inStates([1, 2, 3], at);
    const dialled = await repos.numbers.dispenseNumbers(task.id, 2, at, screen);
    t.equal(dialled.length, 2);
    t.same(
      await repos.callOutcomes.store(
        dialled.map((n) => answeredOutcome(n.callId, n.id)),
        at + 1,
      ),
      [],
    );
  };
  await tick(NOW + 10);
  watch.take();
  await tick(NOW + 20);
  await tick(NOW + 30);
  const seen = watch.take();
  if (testStore() === 'sqlite') {
    t.equal(seen.prepared, 0, 'the same work again compiles no statement');
    // drizzle's db.transaction builds one (and a query builder per table) for every call: ~150 ms of a 37 s campaign
    // (issue 21). Dispensing and the outcome batch still run in a transaction each (hot-path-statements.test.ts).
    t.equal(seen.transactions, 0, 'nor builds a transaction function');
  } else {
    t.equal(
      seen.named,
      2 * 6,
      'the view (2), the tasks by status, the dispensing statement, the lookup and the outcome batch: named',
    );
    t.same(seen.unnamed, [], 'nothing is sent unnamed');
  }
  const done = await store.exec<{ n: number }>(
    sql`select count(*) as n from task_numbers where state = 'done'`,
  );
  t.equal(Number(done[0]?.n), 6, 'every dispensed number settled');
  if (testStore() === 'sqlite') {
    // FreeSWITCH posts a CDR for every leg: its merge is a transaction per call too.
    await repos.callLogs.mergeCdr('cdr-1', { billsec: 4, destinationNumber: '13800000000' }, NOW);
    watch.take();
    await repos.callLogs.mergeCdr('cdr-2', { billsec: 5, destinationNumber: '13800000000' }, NOW);
    t.equal(watch.take().transactions, 0, "a CDR's merge builds no transaction function");
  }
});
