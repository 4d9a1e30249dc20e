// One dispenser process for test/component/pg-dispense-concurrency.test.ts: waits for "go" on stdin, then takes the
// task's numbers in batches until none is left and prints the ids it got, one per line.
import { createInterface } from 'node:readline';
import { pgNumberStore } from '../../src/db/pg/dispenser.js';
import { openPgStore } from '../../src/db/pg/open.js';

const [url, taskId, batch] = process.argv.slice(2);
const store = await openPgStore(url!, { max: 2 });
const numbers = pgNumberStore(store.db);
process.stdout.write('ready\n');
await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
const ids: number[] = [];
for (;;) {
  const got = await numbers.dispenseNumbers(Number(taskId), Number(batch), Date.now());
  if (got.length === 0) break;
  for (const n of got) ids.push(n.id);
}
await store.close();
process.stdout.write(`${ids.join('\n')}\ndone\n`);
