import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../src/cli.js';
import { openStore } from '../../src/db/database.js';

t.test('the account CLI', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'cc.db');
  const added = await runCli(['account', 'add', 'crm', '--ip', '10.0.0.1'], db);
  t.equal(added.code, 0);
  const secret = /secret ([0-9a-f]{48})/.exec(added.out)?.[1];
  t.ok(secret, 'add prints a random secret once');
  t.equal((await runCli(['account', 'add', 'crm'], db)).code, 1, 'an existing account is not replaced');
  t.match((await runCli(['account', 'list'], db)).out, /crm\tstatus=enabled\texpires=never\tip=10.0.0.1/);
  t.notMatch((await runCli(['account', 'list'], db)).out, secret!, 'list never shows secrets');
  t.equal((await runCli(['account', 'disable', 'crm'], db)).code, 0);
  t.match((await runCli(['account', 'list'], db)).out, /status=disabled/);
  const rotated = await runCli(['account', 'rotate', 'crm'], db);
  t.not(/secret ([0-9a-f]{48})/.exec(rotated.out)?.[1], secret);
  t.equal((await runCli(['account', 'remove', 'nobody'], db)).code, 1);
  t.equal((await runCli(['account', 'add', 'bad name'], db)).code, 2);
  t.equal((await runCli(['account', 'add', 'x', '--expires', 'never'], db)).code, 2);
  t.equal((await runCli(['frobnicate'], db)).code, 2);
  const unknown = await runCli(['account', 'frobnicate'], db);
  t.equal(unknown.code, 2, 'issue #17: an unknown subcommand is refused');
  t.match(
    unknown.out,
    /^unknown subcommand account frobnicate\nusage: cli account add/,
    'naming it, with the usage',
  );
  t.match((await runCli(['account'], db)).out, /^account needs a subcommand\nusage:/);
  t.match((await runCli(['frobnicate'], db)).out, /^unknown command frobnicate\nusage:/);
  t.equal((await runCli(['account', 'sign-mode', 'crm', 'strict'], db)).code, 0);
  t.match(
    (await runCli(['account', 'list'], db)).out,
    /crm\t.*\tsign=strict/,
    'an account switched to strict signing',
  );
  t.equal((await runCli(['account', 'sign-mode', 'crm', 'loose'], db)).code, 2);
  t.equal((await runCli(['account', 'add', 'erp', '--strict'], db)).code, 0);
  t.match((await runCli(['account', 'list'], db)).out, /erp\t.*\tsign=strict/);
  const store = openStore(db);
  t.teardown(store.close);
  t.equal(store.sqlite.pragma('journal_mode', { simple: true }), 'wal', 'file databases use WAL');
});
