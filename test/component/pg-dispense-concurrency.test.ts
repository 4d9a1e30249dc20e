// Two servers dispensing from one task on PostgreSQL at once (issue 19): every number goes to exactly one of them.
// Each process takes batches with SELECT … FOR UPDATE SKIP LOCKED (src/db/pg/dispenser.ts); without the row locks
// both would read the same pending rows and both would dial them.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { seededPg, SEED_NOW } from '../support/pg-seed.js';

const child = join(dirname(fileURLToPath(import.meta.url)), '../support/pg-dispense-child.ts');
const NUMBERS = 100_000;

interface Dispenser {
  ready: Promise<void>;
  ids: Promise<number[]>;
  go(): void;
}

function startDispenser(url: string, taskId: number, batch: number): Dispenser {
  const proc = spawn(process.execPath, ['--import=tsx', child, url, String(taskId), String(batch)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => {
    out += chunk;
    if (out.startsWith('ready\n')) onReady();
  });
  const ids = new Promise<number[]>((resolve, reject) =>
    proc.on('exit', (code) => {
      const lines = out.trim().split('\n');
      if (code !== 0 || lines.at(-1) !== 'done')
        reject(new Error(`dispenser exited ${code}: ${out.slice(-500)}`));
      else resolve(lines.slice(1, -1).filter(Boolean).map(Number));
    }),
  );
  return { ready, ids, go: () => proc.stdin.end('go\n') };
}

t.test('two processes dispensing one task at once never get the same number', async (t) => {
  const { url, repos, taskId } = await seededPg(t);
  const phones = Array.from({ length: NUMBERS }, (_, i) => `137${String(i).padStart(8, '0')}`);
  t.equal(await repos.tasks.addNumbers(taskId, phones, SEED_NOW), NUMBERS);
  const a = startDispenser(url, taskId, 50);
  const b = startDispenser(url, taskId, 50);
  await Promise.all([a.ready, b.ready]);
  a.go();
  b.go();
  const [idsA, idsB] = await Promise.all([a.ids, b.ids]);
  const all = [...idsA, ...idsB];
  t.equal(new Set(all).size, all.length, 'no number handed out twice');
  t.equal(all.length, NUMBERS, 'every number handed out');
  t.ok(idsA.length > 0 && idsB.length > 0, `both took numbers (${idsA.length} and ${idsB.length})`);
  t.same(await repos.tasks.countsByState(taskId), { pending: 0, preview: 0, dialing: NUMBERS, done: 0 });
});
