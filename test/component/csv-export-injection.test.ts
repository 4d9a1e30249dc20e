// Issue #17 item 5, end to end: a free-text task code that a spreadsheet would evaluate reaches the CSV export
// inert, while the customer's +86 number stays a number.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { callLogs } from '../../src/db/schema.js';
import { startTestApp } from '../support/app.js';

t.test('the call-log CSV neutralises + and - formulas in task codes and keeps +86 numbers', async (t) => {
  const ta = await startTestApp();
  t.teardown(ta.close);
  const now = ta.clock.now();
  const p = await ta.app.ctx.repos.projects.insert(
    { projectCode: 'p1', seats: 1, nodeId: 1, certificate: 'C1' },
    now,
  );
  for (const callTaskCode of ['-1+1480', '+HYPERLINK("http://x.example","go")'])
    ta.store.db
      .insert(callLogs)
      .values({
        callUuid: randomUUID(),
        projectId: p.id,
        callTaskCode,
        destinationNumber: '+8613900000000',
        startTimestamp: now,
        addTime: now,
        updateTime: now,
      })
      .run();
  const r = await ta.app.http.inject({
    method: 'GET',
    url: '/callcenter/callLog/api/export/v1?queryTimeType=1&projectCode=p1',
    headers: ta.signed(),
  });
  t.equal(r.statusCode, 200, r.body);
  const rows = r.body
    .replace(/^\uFEFF/, '')
    .trimEnd()
    .split('\r\n')
    .slice(1);
  t.equal(rows.length, 2);
  t.match(rows[0], /^\d+,"'\+HYPERLINK\(""http:\/\/x\.example"",""go""\)",,\+8613900000000,/);
  t.match(rows[1], /^\d+,'-1\+1480,,\+8613900000000,/);
  for (const row of rows)
    for (const cell of row.split(','))
      t.notMatch(cell.replace(/^"/, ''), /^[=+\-@\t\r](?!\d+$)/, `no cell starts a formula: ${cell}`);
});
