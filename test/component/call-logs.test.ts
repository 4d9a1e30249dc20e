import t from 'tap';
import { LOG_API, TASK_API, startTaskApp } from '../support/tasks.js';

t.test('call logs', async (t) => {
  const ta = await startTaskApp();
  t.teardown(ta.close);
  const { callListId } = await ta.list(['1001', '1002', '1003']);
  const common = {
    scheduleType: 1,
    callType: 1,
    callGWs: '[{"code":"1001","concurrency":5}]',
    projectCode: 'p1',
    rate: 1,
  };
  await ta.post(`${TASK_API}/submitCallTask/v1`, {
    ...common,
    callTaskCode: 'L1',
    callListId,
    expiredTime: '2026-11-30 00:00:00',
  });
  const start = ta.clock.now();
  const a = await ta.result('L1', '1001', 5);
  ta.clock.advance(60_000);
  const b = await ta.result('L1', '1002', 55);
  ta.clock.advance(60_000);
  const c = await ta.result('L1', '1003', 25);
  ta.clock.advance(60_000);
  const d = await ta.result('L1', '1001', 20); // 1001 called again: its last result is now 20

  await t.test(
    'getList pages a task newest first, with result and resultDetail as strings and priceCal in fen',
    async (t) => {
      const res = await ta.get(`${LOG_API}/getList/v1`, {
        callTaskCode: 'L1',
        queryTimeType: 1,
        pageSize: 2,
      });
      t.equal(res.statusCode, 200, res.body);
      const data = res.json().data;
      t.equal(data.total, 4);
      t.same(
        data.items.map((i: { id: number }) => i.id),
        [d, c],
      );
      t.match(data.items[1], {
        callTaskCode: 'L1',
        destinationNumber: '1003',
        result: '20',
        resultDetail: '25',
        priceCal: 12.5,
        priceRule: '6|10.0',
        startTimestamp: start + 120_000,
        endTimestamp: start + 150_000,
      });
      const page2 = (
        await ta.get(`${LOG_API}/getList/v1`, {
          callTaskCode: 'L1',
          queryTimeType: 1,
          pageSize: 2,
          pageNum: 2,
        })
      ).json().data;
      t.same(
        page2.items.map((i: { id: number }) => i.id),
        [b, a],
      );
    },
  );

  await t.test('times bound the start (1) or end (2) of calls, as UTC+8 datetimes or epoch ms', async (t) => {
    // start is 16:00:00 in Shanghai; calls start at 16:00, 16:01, 16:02, 16:03 and end 30 s later.
    const byStart = (
      await ta.get(`${LOG_API}/getList/v1`, {
        projectCode: 'p1',
        queryTimeType: 1,
        beginTime: '2026-11-23 16:01:00',
        endTime: '2026-11-23 16:02:00',
      })
    ).json().data;
    t.same(
      byStart.items.map((i: { id: number }) => i.id),
      [c, b],
    );
    const byEnd = (
      await ta.get(`${LOG_API}/getList/v1`, {
        projectCode: 'p1',
        queryTimeType: 2,
        beginTime: start + 90_000,
        endTime: start + 150_000,
      })
    ).json().data;
    t.same(
      byEnd.items.map((i: { id: number }) => i.id),
      [c, b],
    );
    const otherProject = (
      await ta.get(`${LOG_API}/getList/v1`, { projectCode: 'p2', queryTimeType: 1 })
    ).json().data;
    t.equal(otherProject.total, 0);
    const bad = await ta.get(`${LOG_API}/getList/v1`, { queryTimeType: 1, beginTime: 'yesterday' });
    t.equal(bad.statusCode, 400);
    t.match(bad.json().reqResult.msg, 'beginTime must be yyyy-MM-dd HH:mm:ss');
    const reversed = await ta.get(`${LOG_API}/getList/v1`, {
      queryTimeType: 1,
      beginTime: start + 1,
      endTime: start,
    });
    t.match(reversed.json().reqResult.msg, 'beginTime must not be after endTime');
    const noType = await ta.get(`${LOG_API}/getList/v1`, { callTaskCode: 'L1' });
    t.equal(noType.statusCode, 400);
    t.match(noType.json().reqResult.msg, 'queryTimeType is required');
  });

  await t.test(
    'getListByResult lists numbers whose last call ended with a listed result, after recallLastId',
    async (t) => {
      const res = await ta.get(`${LOG_API}/getListByResult/v1`, {
        callTaskCode: 'L1',
        resultDetail: '5,25,20',
        recallLastId: 0,
      });
      t.equal(res.statusCode, 200, res.body);
      t.same(
        res.json().data,
        {
          total: 2,
          items: [
            { id: c, destinationNumber: '1003' },
            { id: d, destinationNumber: '1001' },
          ],
        },
        "1001's first call (5) is not its last; 1002 succeeded",
      );
      const after = (
        await ta.get(`${LOG_API}/getListByResult/v1`, {
          callTaskCode: 'L1',
          resultDetail: '5,25,20',
          recallLastId: c,
        })
      ).json().data;
      t.same(after.items, [{ id: d, destinationNumber: '1001' }], 'paging on by the last id returned');
      const paged = (
        await ta.get(`${LOG_API}/getListByResult/v1`, {
          callTaskCode: 'L1',
          resultDetail: '25,20',
          recallLastId: 0,
          pageSize: 1,
          pageNum: 2,
        })
      ).json().data;
      t.same(paged, { total: 2, items: [{ id: d, destinationNumber: '1001' }] });
      const badCode = await ta.get(`${LOG_API}/getListByResult/v1`, {
        callTaskCode: 'L1',
        resultDetail: '5,99',
        recallLastId: 0,
      });
      t.equal(badCode.statusCode, 400);
      t.match(badCode.json().reqResult.msg, 'resultDetail: 99 is not a resultDetail code');
      const unknown = await ta.get(`${LOG_API}/getListByResult/v1`, {
        callTaskCode: 'nope',
        resultDetail: '5',
        recallLastId: 0,
      });
      t.equal(unknown.statusCode, 404);
      const missing = await ta.get(`${LOG_API}/getListByResult/v1`, {
        callTaskCode: 'L1',
        resultDetail: '5',
      });
      t.match(missing.json().reqResult.msg, 'recallLastId is required');
    },
  );
});
