// Runs on both stores (cli-pg.test.ts runs it on PostgreSQL).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../src/cli.js';
import { openStore } from '../../src/db/database.js';
import { freshPgDatabase } from '../support/postgres.js';
import { testStore } from '../support/store.js';

t.test('the account CLI', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'cc.db');
  // With CC_TEST_STORE=pg (cli-pg.test.ts) the commands run on PostgreSQL, as with CC_DATABASE_URL set.
  const pgUrl = testStore() === 'pg' ? await freshPgDatabase(t) : undefined;
  const cli = (argv: string[]) => runCli(argv, db, undefined, process.env, pgUrl);
  const added = await cli(['account', 'add', 'crm', '--ip', '10.0.0.1']);
  t.equal(added.code, 0);
  const secret = /secret ([0-9a-f]{48})/.exec(added.out)?.[1];
  t.ok(secret, 'add prints a random secret once');
  t.equal((await cli(['account', 'add', 'crm'])).code, 1, 'an existing account is not replaced');
  t.match((await cli(['account', 'list'])).out, /crm\tstatus=enabled\texpires=never\tip=10.0.0.1/);
  t.notMatch((await cli(['account', 'list'])).out, secret!, 'list never shows secrets');
  t.equal((await cli(['account', 'disable', 'crm'])).code, 0);
  t.match((await cli(['account', 'list'])).out, /status=disabled/);
  const rotated = await cli(['account', 'rotate', 'crm']);
  t.not(/secret ([0-9a-f]{48})/.exec(rotated.out)?.[1], secret);
  t.equal((await cli(['account', 'remove', 'nobody'])).code, 1);
  t.equal((await cli(['account', 'add', 'bad name'])).code, 2);
  t.equal((await cli(['account', 'add', 'x', '--expires', 'never'])).code, 2);
  t.equal((await cli(['frobnicate'])).code, 2);
  const unknown = await cli(['account', 'frobnicate']);
  t.equal(unknown.code, 2, 'issue #17: an unknown subcommand is refused');
  t.match(
    unknown.out,
    /^unknown subcommand account frobnicate\nusage: cli account add/,
    'naming it, with the usage',
  );
  t.match((await cli(['account'])).out, /^account needs a subcommand\nusage:/);
  t.match((await cli(['frobnicate'])).out, /^unknown command frobnicate\nusage:/);
  t.equal((await cli(['account', 'sign-mode', 'crm', 'strict'])).code, 0);
  t.match(
    (await cli(['account', 'list'])).out,
    /crm\t.*\tsign=strict/,
    'an account switched to strict signing',
  );
  t.equal((await cli(['account', 'sign-mode', 'crm', 'loose'])).code, 2);
  t.equal((await cli(['account', 'add', 'erp', '--strict'])).code, 0);
  t.match((await cli(['account', 'list'])).out, /erp\t.*\tsign=strict/);
  if (pgUrl) return;
  const store = openStore(db);
  t.teardown(store.close);
  t.equal(store.sqlite.pragma('journal_mode', { simple: true }), 'wal', 'file databases use WAL');
});
