// How an outcome batch is planned (db/repos/outcome-batch.ts), shared by both stores: outcomes that set the same
// columns go in one group (one multi-row statement), whatever order their fields come in; a field left undefined is
// not a column; a call id seen twice in a batch goes the careful way.
import t from 'tap';
import type { CallLogFields } from '../../src/db/repos/call-logs.js';
import { planBatch, type CallOutcome } from '../../src/db/repos/outcome-batch.js';

const outcome = (callId: string, fields: Partial<CallLogFields>): CallOutcome => ({
  callId,
  taskCode: 'T',
  projectCode: 'p',
  gatewayCode: null,
  numberId: null,
  resultDetail: 0,
  compose: () => ({ destinationNumber: '1', ...fields }) as CallLogFields,
});

t.test('outcomes are grouped by the set of columns they set', async (t) => {
  const facts = () => ({ taskId: 1, projectId: 2, gateway: undefined });
  const { groups, single } = planBatch(
    [
      outcome('a', { billsec: 1, result: 10 }),
      outcome('b', { result: 10, billsec: 2 }),
      outcome('c', { result: 10, billsec: undefined }),
      outcome('a', { billsec: 3, result: 10 }),
      outcome('d', { result: 20 }),
      outcome('e', { billsec: 4, result: 10, hangupCause: 'X' }),
    ],
    facts,
  );
  t.same(
    groups.map((g) => [g.columns, g.rows.map((r) => r.outcome.callId)]),
    [
      [
        ['billsec', 'destinationNumber', 'result'],
        ['a', 'b'],
      ],
      [
        ['destinationNumber', 'result'],
        ['c', 'd'],
      ],
      [['billsec', 'destinationNumber', 'hangupCause', 'result'], ['e']],
    ],
    'same columns in any order share a group; an undefined field is no column; the columns are sorted',
  );
  t.same(
    single.map((o) => o.callId),
    ['a'],
    'the second outcome of a call goes the careful way',
  );
});
