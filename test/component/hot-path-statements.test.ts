// The statements one dialled call costs the store on its hot path (issue 19: ≤ 3 per attempt), counted exactly, on
// SQLite and (hot-path-statements-pg.test.ts, CC_TEST_STORE=pg) on PostgreSQL: the tick's view, dispensing a batch
// (the numbers get their call ids in the same statement: nothing is written per originate), and the outcome flush
// (a batch in one statement on PostgreSQL, two and a transaction on SQLite; a row FreeSWITCH's CDR wrote first keeps
// its measurements). BEGIN / COMMIT / SAVEPOINT / RELEASE are counted apart as `control`.
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import t from 'tap';
import type { CallOutcome } from '../../src/db/repos/call-outcomes.js';
import { testDatabase, testStore } from '../support/store.js';
import { seedRunningTask } from '../support/store-task.js';

const NOW = Date.UTC(2026, 11, 5, 3);
const TX_CONTROL = /^\s*(begin|commit|rollback|savepoint|release)/i;

/** Counts the statements sent to the store from now on (every query on either driver). */
function countStatements(t: { teardown(fn: () => void): void }) {
  const counts = { data: 0, control: 0 };
  const count = (text: string | undefined) => {
    if (text !== undefined) counts[TX_CONTROL.test(text) ? 'control' : 'data']++;
  };
  const restore: (() => void)[] = [];
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    count(typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text);
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  restore.push(() => (pg.Client.prototype.query = query));
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, unknown>;
  probe.close();
  for (const name of ['run', 'get', 'all', 'iterate']) {
    const fn = proto[name] as (...a: unknown[]) => unknown;
    proto[name] = function (this: { source: string }, ...a: unknown[]) {
      count(this.source);
      return fn.apply(this, a);
    };
    restore.push(() => (proto[name] = fn));
  }
  t.teardown(() => restore.forEach((r) => r()));
  return {
    /** Statements since the last call. */
    take(): { data: number; control: number } {
      const out = { ...counts };
      counts.data = 0;
      counts.control = 0;
      return out;
    },
  };
}

/** A customer leg's outcome as the call flow hands it over (services.ts): the log composed from what was read. */
const outcomeOf = (callId: string, numberId: number, billsec: number): CallOutcome => ({
  callId,
  taskCode: 'T',
  projectCode: 'p',
  gatewayCode: 'gw',
  numberId,
  resultDetail: 55,
  compose: ({ taskId, projectId, gateway, measured }) => ({
    taskId,
    projectId,
    callTaskCode: 'T',
    destinationNumber: '13800000000',
    gatewayId: gateway?.id ?? null,
    ...(measured ? {} : { billsec, hangupCause: 'NORMAL_CLEARING' }),
    result: 10,
    resultDetail: 55,
    abandoned: 0,
    agentWaitMs: 120,
  }),
});

t.test(`one call's statements on ${testStore()}`, async (t) => {
  const store = await (await testDatabase(t)).open();
  t.teardown(() => store.close());
  const { repos } = store;
  const { project, task } = await seedRunningTask(
    repos,
    NOW,
    Array.from({ length: 8 }, (_, i) => `1380000000${i}`),
  );
  const pgStore = testStore() === 'pg';
  const counter = countStatements(t);

  const view = await repos.dialerView.load(NOW);
  t.same(counter.take(), { data: 2, control: 0 }, "the tick's view: two statements");
  t.same([...view.due], [task.id]);
  t.equal(view.projects.get(project.id)?.projectCode, 'p');
  t.equal(view.nodes.get(project.nodeId)?.name, 'n');
  t.same(
    view.gatewaysOf.get(task.id)?.map((g) => [g.gateway.gwCode, g.concurrency]),
    [['gw', 10]],
  );

  const screen = { task: { id: task.id, projectId: project.id, callTaskCode: 'T' }, projectCode: 'p' };
  const dialled = await repos.numbers.dispenseNumbers(task.id, 5, NOW, screen);
  t.same(
    counter.take(),
    pgStore ? { data: 2, control: 0 } : { data: 3, control: 2 },
    'dispensing a screened batch of 5: the take and the do-not-call lookup (SQLite: read, lookup, update)',
  );
  t.equal(dialled.length, 5);
  const rows = await store.exec<{ id: number; call_uuid: string }>(
    sql`select id, call_uuid from task_numbers where state = 'dialing' order by id`,
  );
  t.same(
    rows.map((r) => [Number(r.id), r.call_uuid]),
    dialled.map((n) => [n.id, n.callId]),
    'each number carries its call id from the statement that dispensed it',
  );

  // FreeSWITCH's CDR came first for the third call: its measurements stay, the flow's fields fill the rest.
  const [a, b, c] = dialled;
  await repos.callLogs.mergeCdr(c!.callId, { billsec: 42, destinationNumber: '13800000000' }, NOW);
  counter.take();
  const failed = await repos.callOutcomes.store(
    [outcomeOf(a!.callId, a!.id, 7), outcomeOf(b!.callId, b!.id, 8), outcomeOf(c!.callId, c!.id, 9)],
    NOW + 1,
  );
  t.same(failed, []);
  const cold = counter.take();
  t.ok(
    cold.data >= 3,
    'the first batch reads the codes and the gateway, and the CDR-first row the careful way',
  );
  const [d, e] = dialled.slice(3);
  t.same(
    await repos.callOutcomes.store(
      [outcomeOf(d!.callId, d!.id, 10), outcomeOf(e!.callId, e!.id, 11)],
      NOW + 2,
    ),
    [],
  );
  t.same(
    counter.take(),
    pgStore ? { data: 1, control: 0 } : { data: 2, control: 2 },
    'a batch of outcomes (codes and gateway kept): one statement (SQLite: logs, numbers, in a transaction)',
  );
  const logs = await store.exec<{
    call_uuid: string;
    billsec: number;
    result_detail: number;
    agent_wait_ms: number;
  }>(sql`select call_uuid, billsec, result_detail, agent_wait_ms from call_logs order by id`);
  t.same(
    logs.map((l) => [l.call_uuid, Number(l.billsec), Number(l.result_detail), Number(l.agent_wait_ms)]),
    [
      [c!.callId, 42, 55, 120],
      [a!.callId, 7, 55, 120],
      [b!.callId, 8, 55, 120],
      [d!.callId, 10, 55, 120],
      [e!.callId, 11, 55, 120],
    ],
    "the CDR's billsec kept, every outcome and verdict written",
  );
  t.same(
    (
      await store.exec<{ state: string; n: number }>(
        sql`select state, count(*) as n from task_numbers group by state order by state`,
      )
    ).map((r) => [r.state, Number(r.n)]),
    [
      ['done', 5],
      ['pending', 3],
    ],
    'every dialled number settled',
  );
});
