// Issue #17 item 6: the database (API secrets, SIP and carrier passwords) and its directory are owner-only.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import Database from 'better-sqlite3';
import { openStore } from '../../src/db/database.js';
import { ensurePrivateDir } from '../../src/db/private-files.js';

const mode = (p: string) => statSync(p).mode & 0o777;

t.test('a fresh data directory is 0700 and the database with its WAL and SHM files 0600', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'cc-modes-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const old = process.umask(0o022);
  t.teardown(() => void process.umask(old));
  const dataDir = join(root, 'data');
  ensurePrivateDir(dataDir);
  const db = join(dataDir, 'callcenter.db');
  const store = openStore(db);
  t.teardown(store.close);
  store.sqlite.exec('CREATE TABLE IF NOT EXISTS probe (x); INSERT INTO probe VALUES (1)');
  t.equal(mode(dataDir).toString(8), '700');
  for (const f of [db, `${db}-wal`, `${db}-shm`]) t.equal(mode(f).toString(8), '600', f);
  const nested = join(root, 'elsewhere', 'deep', 'cc.db');
  const other = openStore(nested);
  t.teardown(other.close);
  t.equal(mode(join(root, 'elsewhere', 'deep')).toString(8), '700', 'directories it creates are owner-only');
  t.equal(mode(nested).toString(8), '600');
});

t.test('an install made before (0755 directory, 0644 database and WAL) is tightened at start', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'cc-modes-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dataDir = join(root, 'data');
  mkdirSync(dataDir, { mode: 0o755 });
  chmodSync(dataDir, 0o755);
  const db = join(dataDir, 'callcenter.db');
  const legacy = new Database(db);
  legacy.pragma('journal_mode = WAL');
  legacy.exec('CREATE TABLE probe (x); INSERT INTO probe VALUES (1)');
  for (const f of [db, `${db}-wal`, `${db}-shm`]) chmodSync(f, 0o644);
  legacy.close();
  writeFileSync(`${db}-wal`, ''); // a WAL left behind
  chmodSync(`${db}-wal`, 0o644);
  ensurePrivateDir(dataDir);
  const store = openStore(db);
  t.teardown(store.close);
  t.equal(mode(dataDir).toString(8), '700');
  for (const f of [db, `${db}-wal`, `${db}-shm`]) t.equal(mode(f).toString(8), '600', f);
});
