// Issue 17.8: the CSV export streams in bounded steps, each in its own turn of the event loop, so calls, timers and
// other requests run while a large export is read; sparse matches far apart are all found.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { callLogs } from '../../src/db/schema.js';
import { startTestApp, type TestApp } from '../support/app.js';

function addLogs(ta: TestApp, n: number, fields: (i: number) => Partial<typeof callLogs.$inferInsert>) {
  const now = ta.clock.now();
  ta.store.db.transaction((tx) => {
    for (let i = 0; i < n; i += 500)
      tx.insert(callLogs)
        .values(
          Array.from({ length: Math.min(500, n - i) }, (_, k) => ({
            callUuid: randomUUID(),
            destinationNumber: '13900000000',
            startTimestamp: now,
            addTime: now,
            updateTime: now,
            ...fields(i + k),
          })),
        )
        .run();
  });
}

const exportCsv = (ta: TestApp, q: Record<string, string>) =>
  ta.app.http.inject({
    method: 'GET',
    url: `/callcenter/callLog/api/export/v1?${new URLSearchParams(q)}`,
    headers: ta.signed(),
  });

t.test('a large export reads the store one step per turn of the event loop', async (t) => {
  const ta = await startTestApp();
  t.teardown(ta.close);
  const p = await ta.app.ctx.repos.projects.insert(
    { projectCode: 'p1', seats: 1, nodeId: 1, certificate: 'C1' },
    ta.clock.now(),
  );
  addLogs(ta, 6000, () => ({ projectId: p.id, callTaskCode: 'bulk' }));
  // A turn counter the event loop advances, and the turn of every read of rows the export makes.
  let turn = 0;
  let ticking = true;
  const tick = () => {
    turn++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const reads: number[] = [];
  const repo = ta.app.ctx.repos.callLogs;
  ta.app.ctx.repos.callLogs = new Proxy(repo, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        // Reads of rows (whatever the method is called), not the look-ups of codes or ids before them; the store's
        // port answers with a promise, counted at the turn the read was asked in.
        const askedAt = turn;
        void Promise.resolve(result).then((rows) => {
          if (Array.isArray(rows)) reads.push(askedAt);
        });
        return result;
      };
    },
  });
  const r = await exportCsv(ta, { queryTimeType: '1', projectCode: 'p1' });
  ticking = false;
  t.equal(r.statusCode, 200);
  t.equal(r.body.trimEnd().split('\r\n').length, 6001, 'the header and every row');
  t.ok(reads.length >= 4, `the rows came in several steps (${reads.length} reads)`);
  const sameTurn = reads.filter((at, i) => i > 0 && at === reads[i - 1]).length;
  t.equal(sameTurn, 0, 'no two reads of the store in one turn of the event loop');
});

t.test('sparse matches far apart in the ids are all exported, newest first', async (t) => {
  const ta = await startTestApp();
  t.teardown(ta.close);
  addLogs(ta, 30_000, (i) => ({ callTaskCode: i % 997 === 0 ? 'rare' : 'bulk' }));
  const r = await exportCsv(ta, { queryTimeType: '1', callTaskCode: 'rare' });
  const ids = r.body
    .trimEnd()
    .split('\r\n')
    .slice(1)
    .map((line) => Number(line.split(',')[0]));
  t.equal(ids.length, Math.ceil(30_000 / 997));
  t.same(
    ids,
    [...ids].sort((a, b) => b - a),
    'newest first',
  );
  t.equal(new Set(ids).size, ids.length, 'none twice');
});
