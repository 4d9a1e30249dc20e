// One process for test/component/outcome-batch-crash.test.ts: stores a batch of outcomes on the SQLite file given
// and is killed (SIGKILL, no clean-up of any kind) by the first write to task_numbers, i.e. after the batch's call
// logs were written and before its numbers are settled.
import { createRepos } from '../../src/db/repos/index.js';
import { openStore } from '../../src/db/database.js';
import type { CallOutcome } from '../../src/db/repos/call-outcomes.js';

const [path, dialled] = process.argv.slice(2);
const store = openStore(path!);
store.sqlite.function('crash', () => process.kill(process.pid, 'SIGKILL'));
// A temporary trigger lives in this connection only: the database file keeps no trace of it. It fires only once the
// call logs are written (in the batch's transaction, seen by this connection alone).
store.sqlite.exec(
  'create temp trigger crash before update on main.task_numbers when (select count(*) from main.call_logs) > 0 begin select crash(); end',
);
const outcomes = (JSON.parse(dialled!) as { id: number; callId: string }[]).map((n): CallOutcome => ({
  callId: n.callId,
  taskCode: 'T',
  projectCode: 'p',
  gatewayCode: 'gw',
  numberId: n.id,
  resultDetail: 55,
  compose: (read) => ({
    taskId: read.taskId,
    projectId: read.projectId,
    destinationNumber: '13800000000',
    billsec: 3,
    result: 10,
    resultDetail: 55,
  }),
}));
await createRepos(store.db).callOutcomes.store(outcomes, Date.now());
process.stdout.write('not killed\n');
