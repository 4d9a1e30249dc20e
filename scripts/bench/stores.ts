// SQLite beside PostgreSQL in one run (issue 19): the campaign (campaign.ts) once on each store with the same
// arguments, one after the other, and the figures that compare them side by side. SQLite runs on a database file
// (as installed, not ':memory:'), PostgreSQL on a durable cluster of its own (bench-store.ts).
//
//   node --import=tsx scripts/bench/stores.ts [campaign arguments, e.g. --numbers 5000 --agents 100 --seconds 40]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROWS = [
  'originates',
  'peak live customer legs (app)',
  'answer → bridge, idle agent, APP-SIDE handler-internal p50 / p99 / max',
  'answer → bridge, queued, APP-SIDE handler-internal p50 / p99 / max',
  'connect reply in → bridge out, idle agent, AT THE SOCKET p50 / p99 / max',
  'APP CPU per originated attempt',
  'store statements per originated attempt (+ BEGIN/COMMIT/SAVEPOINT)',
  'APP event-loop delay p50 / p99 / max',
  'call logs by result',
];

const args = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'cc-bench-stores-'));
const run = (store: string[]): Map<string, string> => {
  const out = execFileSync(
    process.execPath,
    ['--import=tsx', 'scripts/bench/campaign.ts', ...args, ...store],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
    },
  );
  const figures = new Map<string, string>();
  for (const line of out.split('\n')) {
    const name = ROWS.find((r) => line.startsWith(r));
    if (name) figures.set(name, line.slice(name.length).trim());
  }
  return figures;
};
try {
  const sqlite = run(['--store', 'sqlite', '--db', join(dir, 'bench.db')]);
  const pg = run(['--store', 'pg']);
  console.log(`campaign ${args.join(' ')}`);
  for (const r of ROWS) {
    console.log(r);
    console.log(`  SQLite      ${sqlite.get(r) ?? '(not printed)'}`);
    console.log(`  PostgreSQL  ${pg.get(r) ?? '(not printed)'}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
