// `npm run cli -- db migrate` and `npm run cli -- db copy --to postgres://…` (issue 19): the operator's commands that
// concern which store holds the data. Both run with the server stopped or beside it (a copy reads SQLite in one read
// transaction); neither prints a password.
import { existsSync } from 'node:fs';
import { checkPostgresUrl, ConfigError } from '../config.js';
import { openStore } from './database.js';
import { CopyMismatchError, copySqliteToPg, TargetNotEmptyError } from './pg/copy.js';
import { describePgUrl, openPgStore, PgUnavailableError } from './pg/open.js';

interface CommandResult {
  out: string;
  code: number;
}

export const STORE_USAGE =
  'usage: cli db migrate | db copy --to postgres://USER:PASSWORD@HOST:5432/DATABASE (or with CC_DATABASE_URL set)';

/** Applies the committed migrations to the configured store (PostgreSQL when CC_DATABASE_URL is set). */
export async function migrateCommand(
  dbPath: string,
  databaseUrl: string | undefined,
): Promise<CommandResult> {
  if (databaseUrl) {
    const store = await openPgStore(databaseUrl, { max: 1 });
    await store.close();
    return { out: `PostgreSQL at ${describePgUrl(databaseUrl)}: schema up to date`, code: 0 };
  }
  openStore(dbPath).close();
  return { out: `SQLite ${dbPath}: schema up to date`, code: 0 };
}

/**
 * Copies the SQLite store at dbPath into the empty PostgreSQL database given by `--to URL` (or CC_DATABASE_URL: a
 * URL on the command line is visible to every user's `ps`).
 */
export async function copyCommand(
  args: string[],
  dbPath: string,
  databaseUrl: string | undefined,
): Promise<CommandResult> {
  const to = args[0] === '--to' && args.length === 2 ? args[1] : args.length === 0 ? databaseUrl : undefined;
  if (!to) return { out: STORE_USAGE, code: 2 };
  try {
    checkPostgresUrl(to, 'the copy target');
  } catch (err) {
    if (err instanceof ConfigError) return { out: err.message, code: 2 };
    throw err;
  }
  if (dbPath === ':memory:' || !existsSync(dbPath))
    return { out: `no SQLite database at ${dbPath} (CC_DB_PATH) to copy`, code: 1 };
  const source = openStore(dbPath);
  try {
    const target = await openPgStore(to, { max: 1 });
    try {
      const report = await copySqliteToPg(source.sqlite, target.pool);
      const lines = report.tables.map((t) => `${t.name}\t${t.rows}`);
      return {
        out: `${lines.join('\n')}\ncopied ${report.total} rows in ${report.tables.length} tables from ${dbPath} to PostgreSQL at ${describePgUrl(to)}; row counts match`,
        code: 0,
      };
    } finally {
      await target.close();
    }
  } catch (err) {
    if (
      err instanceof TargetNotEmptyError ||
      err instanceof CopyMismatchError ||
      err instanceof PgUnavailableError
    )
      return { out: `${err.message}; nothing was copied`, code: 1 };
    throw err;
  } finally {
    source.close();
  }
}
