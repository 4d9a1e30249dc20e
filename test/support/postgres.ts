// A fresh PostgreSQL database per test file (issue 19). The test command starts one throwaway cluster for the suite
// and exports its URL as CC_TEST_PG_URL (scripts/test.sh); without it (`npx tap <file>` alone) the first call starts
// a cluster with the same script and stops it when the process exits. Nothing is skipped: no cluster is a failure.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const script = join(dirname(fileURLToPath(import.meta.url)), '../../scripts/postgres/cluster.sh');

interface Teardown {
  teardown(fn: () => unknown): void;
}

let ownCluster: string | undefined;

/** The admin URL of the suite's cluster, starting one for this process when the test command did not. */
export function clusterUrl(): string {
  const given = process.env.CC_TEST_PG_URL;
  if (given) return given;
  const dir = join(tmpdir(), `cc-test-pg-${process.pid}-${randomBytes(4).toString('hex')}`);
  const url = execFileSync('bash', [script, 'start', dir], { encoding: 'utf8' }).trim();
  ownCluster = dir;
  const stop = () => {
    if (ownCluster) execFileSync('bash', [script, 'stop', ownCluster], { stdio: 'ignore' });
    ownCluster = undefined;
  };
  process.on('exit', stop);
  // 'exit' does not run when a signal ends the process (tap's timeout sends SIGTERM): stop the cluster, then die.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.once(signal, () => {
      stop();
      process.kill(process.pid, signal);
    });
  // Child processes this test starts (the concurrency test's dispensers) find it too.
  process.env.CC_TEST_PG_URL = url;
  return url;
}

/** URL of `database` on the cluster at `url`. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates an empty database with a random name, dropped when `t` ends; returns its URL. */
export async function freshPgDatabase(t: Teardown): Promise<string> {
  const admin = clusterUrl();
  const name = `cc_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(admin, `CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`);
  // FORCE: a pool the test forgot to close must not leave the database behind.
  t.teardown(() => adminQuery(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  return withDatabase(admin, name);
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
