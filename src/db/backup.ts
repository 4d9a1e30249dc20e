// `cli db backup FILE` and `cli db restore FILE`: a consistent copy of the database while the server runs, and
// putting one back while it is stopped.
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { openStore, unknownMigrations } from './database.js';

interface DbCommandResult {
  out: string;
  code: number;
}

/** What an operator checks a copy by: the rows of the tables that matter to them. */
function summary(sqlite: Database.Database): string {
  const count = (table: string) =>
    (sqlite.prepare(`SELECT count(*) n FROM ${table}`).get() as { n: number }).n;
  return `${count('tasks')} tasks, ${count('call_logs')} call logs, ${count('task_numbers')} numbers, ${count('projects')} projects`;
}

function quickCheck(sqlite: Database.Database): string | undefined {
  const rows = sqlite.pragma('quick_check') as { quick_check: string }[];
  return rows.length === 1 && rows[0]!.quick_check === 'ok'
    ? undefined
    : rows.map((r) => r.quick_check).join('; ');
}

/**
 * SQLite's online backup (better-sqlite3's db.backup) from a connection of our own. The first step only starts the
 * backup; the second copies every page in one sqlite3_backup_step, inside one read transaction, so the copy is the
 * database as of one commit. In WAL mode that read does not block the server's writers: calls go on meanwhile.
 * Copied page by page in smaller steps instead, a write by the server between two steps would restart the copy.
 */
export async function backupDatabase(dbPath: string, file: string): Promise<DbCommandResult> {
  if (!existsSync(dbPath)) return { out: `no database at ${dbPath} (CC_DB_PATH)`, code: 1 };
  const target = resolve(file);
  if (existsSync(target))
    return { out: `${target} already exists; a backup never overwrites a file`, code: 1 };
  if (!existsSync(dirname(target)))
    return { out: `the directory ${dirname(target)} does not exist`, code: 1 };
  const partial = `${target}.partial`;
  rmSync(partial, { force: true });
  const source = new Database(dbPath, { fileMustExist: true });
  try {
    source.pragma('busy_timeout = 5000');
    await source.backup(partial, { progress: () => 0x7fffffff });
  } catch (err) {
    rmSync(partial, { force: true });
    return { out: `backup failed: ${err instanceof Error ? err.message : String(err)}`, code: 1 };
  } finally {
    source.close();
  }
  const copy = new Database(partial);
  let report: string;
  try {
    // The copy carries the source's WAL flag; checkpointed now, the file alone is the whole backup.
    copy.pragma('wal_checkpoint(TRUNCATE)');
    const broken = quickCheck(copy);
    if (broken) {
      copy.close();
      rmSync(partial, { force: true });
      return { out: `the copy failed its integrity check: ${broken}`, code: 1 };
    }
    report = summary(copy);
    copy.pragma('journal_mode = DELETE');
  } finally {
    if (copy.open) copy.close();
  }
  const fd = openSync(partial, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(partial, target);
  return { out: `backed up ${dbPath} to ${target} (${statSync(target).size} bytes): ${report}`, code: 0 };
}

/** Whether another process (the server) has the database open: it holds a shared lock that ours cannot pass. */
function inUse(dbPath: string): boolean {
  const probe = new Database(dbPath, { fileMustExist: true });
  try {
    probe.pragma('busy_timeout = 0');
    probe.pragma('locking_mode = EXCLUSIVE');
    probe.exec('BEGIN EXCLUSIVE');
    probe.exec('COMMIT');
    // Still ours alone: fold its WAL in, so the file moved aside below is complete by itself.
    probe.pragma('wal_checkpoint(TRUNCATE)');
    return false;
  } catch {
    return true;
  } finally {
    probe.close();
  }
}

/**
 * Puts a backup in place of the database, with the server stopped. The current database is kept beside it
 * (`<db>.replaced-<time>`), never deleted. The backup must be one this version can run: checked, then migrated.
 */
export function restoreDatabase(dbPath: string, file: string, now = Date.now()): DbCommandResult {
  const source = resolve(file);
  if (!existsSync(source)) return { out: `no backup at ${source}`, code: 1 };
  let checked: Database.Database | undefined;
  try {
    checked = new Database(source, { readonly: true, fileMustExist: true });
    const broken = quickCheck(checked);
    if (broken) return { out: `${source} fails its integrity check: ${broken}`, code: 1 };
    const ours = checked
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'")
      .get();
    if (!ours) return { out: `${source} is not a callcenter database`, code: 1 };
    const newer = unknownMigrations(checked);
    if (newer)
      return {
        out: `${source} was written by a newer callcenter (${newer.count} schema migration(s) this version does not know): restore it with that version`,
        code: 1,
      };
  } catch (err) {
    return {
      out: `${source} is not an SQLite database: ${err instanceof Error ? err.message : String(err)}`,
      code: 1,
    };
  } finally {
    checked?.close();
  }
  let kept = '';
  if (existsSync(dbPath)) {
    if (inUse(dbPath))
      return { out: `the database ${dbPath} is open (is the server running?): stop it first`, code: 1 };
    kept = `${dbPath}.replaced-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(dbPath, kept);
  }
  // A WAL or shared-memory file of the database replaced would be replayed onto the restored one.
  for (const suffix of ['-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
  const staged = `${dbPath}.restoring`;
  rmSync(staged, { force: true });
  const copy = new Database(source, { readonly: true });
  try {
    copy.exec(`VACUUM INTO '${staged.replace(/'/g, "''")}'`);
  } finally {
    copy.close();
  }
  renameSync(staged, dbPath);
  // Migrated now rather than at the server's next start, so that a failure shows here.
  const store = openStore(dbPath);
  const report = summary(store.sqlite);
  store.close();
  return {
    out: `restored ${source} to ${dbPath}: ${report}${kept ? `\nthe database it replaced is kept as ${kept}` : ''}`,
    code: 0,
  };
}
