// The PostgreSQL dispenser's story, as the SQLite one's (test/unit/numbers.test.ts): batches oldest first, do-not-call
// numbers closed with a call log, retries, agent-first misses, preview hand-back and the start-up recovery.
import t from 'tap';
import { TaskStatus } from '../../src/core/codes.js';
import { pgNumberStore } from '../../src/db/pg/dispenser.js';
import { seededPg, SEED_NOW } from '../support/pg-seed.js';

const NOW = SEED_NOW + 1000;

t.test('a batch goes out oldest first; ten batches at once never share a number', async (t) => {
  const { store, repos, taskId } = await seededPg(t);
  const numbers = pgNumberStore(store.db);
  await repos.tasks.addNumbers(taskId, ['1', '2', '3', '4', '5'], SEED_NOW);
  t.same(
    (await numbers.dispenseNumbers(taskId, 2, NOW)).map((n) => n.phone),
    ['1', '2'],
  );
  t.ok(await numbers.hasDue(taskId, NOW));
  const phones = Array.from({ length: 500 }, (_, i) => `2${i}`);
  await repos.tasks.addNumbers(taskId, phones, SEED_NOW);
  const batches = await Promise.all(
    Array.from({ length: 10 }, () => numbers.dispenseNumbers(taskId, 60, NOW)),
  );
  const ids = batches.flat().map((n) => n.id);
  t.equal(new Set(ids).size, ids.length, 'no number in two batches');
  t.equal(ids.length, 503, 'all that were pending');
  t.notOk(await numbers.hasDue(taskId, NOW));
  t.equal((await numbers.dialing()).length, 505);
});

t.test(
  'a screen closes do-not-call numbers with a call log and leaves numbers outside their window',
  async (t) => {
    const { store, repos, taskId, projectId } = await seededPg(t);
    const numbers = pgNumberStore(store.db);
    await repos.tasks.addNumbers(taskId, ['100', '200', '300', '400'], SEED_NOW);
    await repos.dnc.add('', ['200'], '投诉', SEED_NOW);
    const got = await numbers.dispenseNumbers(taskId, 5, NOW, {
      task: { id: taskId, projectId, callTaskCode: 'T1' },
      projectCode: 'P1',
      callableNow: (phone) => phone !== '300',
    });
    t.same(
      got.map((n) => n.phone),
      ['100', '400'],
    );
    t.same(await repos.tasks.countsByState(taskId), { pending: 1, preview: 0, dialing: 2, done: 1 });
    t.equal(await repos.tasks.skippedCount(taskId), 1);
  },
);

t.test('retries, agent misses and preview hand-back move numbers as on SQLite', async (t) => {
  const { store, repos, taskId, projectId } = await seededPg(t);
  const numbers = pgNumberStore(store.db);
  await repos.tasks.addNumbers(taskId, ['1', '2', '3', '4'], SEED_NOW);
  const [a, b] = await numbers.dispenseNumbers(taskId, 2, NOW);
  await numbers.settleNumber(a!.id, { callUuid: 'u-a', resultDetail: 5 }, NOW);
  t.ok(await numbers.retryLater(a!.id, NOW + 60_000, NOW));
  t.same(
    (await numbers.dispenseNumbers(taskId, 9, NOW)).map((n) => n.phone),
    ['3', '4'],
    'the retry is not due yet',
  );
  const log = { callUuid: 'u-b', agent: '1001', cause: 'NO_ANSWER', projectId, callTaskCode: 'T1' };
  t.equal(await numbers.agentMissed(b!.id, 2, log, NOW), 'pending');
  const [again] = await numbers.dispenseNumbers(taskId, 1, NOW + 120_000);
  t.equal(again?.id, a!.id, 'the retry is due first (oldest id)');
  const [b2] = await numbers.dispenseNumbers(taskId, 1, NOW + 120_000);
  t.equal(b2?.id, b!.id);
  t.equal(await numbers.agentMissed(b!.id, 2, log, NOW), 'settled');
  t.match(await repos.callLogs.get('u-b'), {
    resultDetail: 32,
    callerIdNumber: '1001',
    destinationNumber: '2',
  });
  await repos.tasks.update(taskId, { status: TaskStatus.ended }, NOW);
  await numbers.settleNumber(a!.id, { callUuid: 'u-a2', resultDetail: 5 }, NOW);
  t.notOk(await numbers.retryLater(a!.id, NOW, NOW), 'an ended task retries nothing');
});

t.test(
  'preview numbers are held by one agent and given back; recovery closes calls that are gone',
  async (t) => {
    const { store, repos, taskId } = await seededPg(t);
    const numbers = pgNumberStore(store.db);
    await repos.tasks.addNumbers(taskId, ['1', '2', '3', '4'], SEED_NOW);
    t.equal((await numbers.reservePreview(taskId, 2, '1001', NOW)).length, 2);
    t.equal(await numbers.releasePreview(taskId, '1002', NOW), 0, 'not the other agent');
    t.equal(await numbers.releasePreview(taskId, '1001', NOW, ['2']), 1);
    const [x, y] = await numbers.dispenseNumbers(taskId, 2, NOW);
    const recovery = await numbers.recoverAtStartup(NOW, (uuid) => uuid === x!.callId);
    t.same(recovery.kept, [{ id: x!.id, phone: x!.phone }]);
    t.same(recovery.closed, [{ id: y!.id, phone: y!.phone }]);
    await numbers.settleByCall(x!.callId, 1, NOW);
    t.same(await repos.tasks.countsByState(taskId), { pending: 1, preview: 1, dialing: 0, done: 2 });
  },
);
