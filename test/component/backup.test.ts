// Backups and upgrades as an operator does them: `cli db backup FILE` from another process while a campaign runs,
// `cli db restore FILE` with the server stopped, and a server that refuses a database a newer version migrated.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { eq } from 'drizzle-orm';
import t from 'tap';
import { callLogs, taskGateways, taskNumbers, tasks } from '../../src/db/schema.js';
import { openStore } from '../../src/db/database.js';
import { startCallHarness } from '../support/calls.js';
import { insertGateway } from '../support/gateways.js';
import { FORM, form, startTestApp } from '../support/app.js';

/** The real CLI in its own process, as an operator runs it beside the server. */
function cli(dbPath: string, ...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import=tsx', 'src/cli.ts', ...args], {
      env: { ...process.env, CC_DB_PATH: dbPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

interface LogItem {
  id: number;
  destinationNumber: string;
  result: string | null;
  resultDetail: string | null;
}

t.test(
  'a backup taken while a campaign runs restores to a server that starts and lists the same task and call logs',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-backup-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const live = join(dir, 'callcenter.db');
    const h = await startCallHarness(
      { emulator: { defaultPlaybackMs: 150_000 }, config: { dbPath: live } },
      { dialerTickMs: 50 },
    );
    t.teardown(h.close);
    await h.project('pb', 1, { register: false });
    const gw = await insertGateway(
      h.app.ctx.repos.gateways,
      { gwCode: 'gwB', expectCount: 3 },
      h.app.ctx.clock.now(),
    );
    const taskId = await h.task({
      code: 'tb',
      projectCode: 'pb',
      scheduleType: 5,
      voiceFile: '/var/voices/b.wav',
    });
    h.store.db.insert(taskGateways).values({ taskId, gatewayId: gw.id, concurrency: 3 }).run();
    const phones = Array.from({ length: 12 }, (_, i) => `1390000${String(i).padStart(4, '0')}`);
    for (const phone of phones)
      h.store.db.insert(taskNumbers).values({ taskId, phone, updatedAt: h.app.ctx.clock.now() }).run();
    const finished = () =>
      h.store.db
        .select()
        .from(callLogs)
        .where(eq(callLogs.taskId, taskId))
        .all()
        .filter((l) => l.result !== null);
    await h.fs.waitFor(() => finished().length >= 3 && h.app.ctx.gatewayUsage.inUse(gw.id) > 0, 15_000);
    const endedBefore = finished().length;

    const backup = join(dir, 'backup.db');
    const taken = await cli(live, 'db', 'backup', backup);
    t.equal(taken.code, 0, `db backup succeeds: ${taken.out}`);
    t.ok(
      h.app.ctx.gatewayUsage.inUse(gw.id) > 0 || finished().length > endedBefore,
      'calls went on meanwhile',
    );
    const liveCount = h.store.db.select().from(callLogs).all().length;
    t.ok(finished().length < phones.length, 'the campaign was still running when the backup was taken');

    // The copy is one moment of the database: every number it shows as done has its call log, and nothing else.
    const copy = new Database(backup, { readonly: true });
    const doneNumbers = copy
      .prepare("SELECT call_uuid FROM task_numbers WHERE state = 'done' AND call_uuid IS NOT NULL")
      .all() as { call_uuid: string }[];
    const loggedEnded = new Set(
      (
        copy.prepare('SELECT call_uuid FROM call_logs WHERE result IS NOT NULL').all() as {
          call_uuid: string;
        }[]
      ).map((r) => r.call_uuid),
    );
    copy.close();
    t.ok(doneNumbers.length >= endedBefore, 'everything committed before the backup is in it');
    t.ok(
      doneNumbers.every((n) => loggedEnded.has(n.call_uuid)),
      'the numbers and the call logs of the copy agree (one consistent moment)',
    );
    await h.fs.waitFor(() => finished().length === phones.length, 30_000);

    // Restore into the data directory of another server (stopped), then start that server on it.
    const restoredPath = join(dir, 'restored', 'callcenter.db');
    spawnSync('mkdir', ['-p', join(dir, 'restored')]);
    const restored = await cli(restoredPath, 'db', 'restore', backup);
    t.equal(restored.code, 0, `db restore succeeds: ${restored.out}`);
    const r = await startTestApp({ dbPath: restoredPath });
    t.teardown(r.close);
    const status = await r.app.http.inject({
      method: 'POST',
      url: '/callcenter/callTask/api/callTaskStatus/v1',
      payload: form({ callTaskCode: 'tb' }),
      headers: r.signed(FORM),
    });
    t.match(status.json(), { reqResult: { code: 1 }, data: { totalCount: 12 } }, 'the task is listed');
    const listed = await r.app.http.inject({
      method: 'GET',
      url: '/callcenter/callLog/api/getList/v1?callTaskCode=tb&queryTimeType=1&pageSize=500',
      headers: r.signed(),
    });
    const items = (listed.json() as { data: { items: LogItem[] } }).data.items;
    t.ok(
      items.length >= endedBefore && items.length <= liveCount,
      `the call logs of the moment (${items.length})`,
    );
    const source = await h.app.http.inject({
      method: 'GET',
      url: '/callcenter/callLog/api/getList/v1?callTaskCode=tb&queryTimeType=1&pageSize=500',
      headers: h.signed(),
    });
    const byId = new Map(
      (source.json() as { data: { items: LogItem[] } }).data.items.map((l) => [l.id, l] as const),
    );
    const ended = items.filter((l) => l.result !== null);
    t.ok(ended.length >= endedBefore, 'every call ended before the backup is listed with its result');
    t.same(
      ended.map((l) => ({ ...l, ...pick(byId.get(l.id)) })),
      ended,
      'each ended call reads as the running server lists it',
    );
    t.equal(
      r.store.db.select().from(tasks).all().length,
      h.store.db.select().from(tasks).all().length,
      'the same tasks',
    );
  },
);

const pick = (l: LogItem | undefined) =>
  l && {
    id: l.id,
    destinationNumber: l.destinationNumber,
    result: l.result,
    resultDetail: l.resultDetail,
  };

t.test('restore refuses while the database is open, and keeps the database it replaces', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-restore-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'cc.db');
  openStore(db).close();
  const backup = join(dir, 'b.db');
  t.equal((await cli(db, 'db', 'backup', backup)).code, 0);
  t.match(
    await cli(db, 'db', 'backup', backup),
    { code: 1, out: /already exists/ },
    'a backup never overwrites',
  );
  const open = openStore(db);
  t.match(
    await cli(db, 'db', 'restore', backup),
    { code: 1, out: /is open \(is the server running\?\): stop it first/ },
    'a running server is not pulled from under',
  );
  open.close();
  const done = await cli(db, 'db', 'restore', backup);
  t.match(done, { code: 0, out: /the database it replaced is kept as .*cc\.db\.replaced-/ });
  t.match(await cli(db, 'db', 'restore', join(dir, 'nope.db')), { code: 1, out: /no backup at/ });
  t.match(await cli(db, 'db', 'frobnicate', backup), { code: 2, out: /usage: cli db backup FILE/ });
});

t.test('a server refuses to start on a database a newer version migrated, and says so', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-newer-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'callcenter.db');
  openStore(db).close();
  const raw = new Database(db);
  raw
    .prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)')
    .run('from-the-future', 4102444800000);
  raw.close();
  const started = spawnSync(process.execPath, ['--import=tsx', 'src/main.ts'], {
    env: { ...process.env, CC_DATA_DIR: dir, CC_HTTP_PORT: '0', CC_SOCKET_PORT: '0', CC_FS_PORT: '1' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  t.equal(started.status, 1, 'it exits with 1');
  t.match(
    started.stderr,
    /callcenter cannot start: the database .*callcenter\.db was upgraded by a newer callcenter: it has 1 schema migration\(s\) this version does not know/,
  );
  t.notMatch(started.stderr, /at .*\.ts:\d+/, 'one clear line, no stack trace');
  t.throws(() => openStore(db), /newer callcenter/, 'nothing opens it for writing');
  t.match(
    await cli(join(dir, 'other.db'), 'db', 'restore', db),
    { code: 1, out: /written by a newer callcenter/ },
    'nor restores it',
  );
});
