// Issue #17 item 6, as an operator runs it: `npm start` on an install whose data directory and database were
// readable by everyone leaves them owner-only (0700 / 0600), WAL and SHM files included.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import Database from 'better-sqlite3';

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

t.test('the server tightens an existing data directory and database at start', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'cc-modes-main-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'data');
  mkdirSync(dir);
  chmodSync(dir, 0o755);
  const db = join(dir, 'callcenter.db');
  const legacy = new Database(db);
  legacy.exec('CREATE TABLE probe (x)');
  legacy.close();
  chmodSync(db, 0o644);
  const child = spawn(process.execPath, ['--import=tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      CC_DATA_DIR: dir,
      CC_HTTP_PORT: '0',
      CC_SOCKET_PORT: '0',
      CC_FS_PORT: '1',
      CC_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => void child.kill('SIGKILL'));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 30 s: ${out}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/callcenter listening/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  t.equal(mode(dir), '700', 'the data directory');
  for (const f of [db, `${db}-wal`, `${db}-shm`, join(dir, 'freeswitch-http-secret')])
    t.equal(mode(f), '600', f.slice(root.length));
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
});
