// The database holds API secrets, SIP and carrier passwords (issue #17): only the server's own user may read it.
// The data directory is 0700 and the database with its WAL, shared-memory and rollback files 0600, whatever the
// umask, and an install made before this rule is tightened at start (chmod is idempotent and cheap).
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';

export const PRIVATE_DIR_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) owner-only, and tightens it when it already exists. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/** The files SQLite keeps for a database at `path` (WAL mode writes the -wal and -shm ones). */
const sqliteFiles = (path: string): string[] =>
  ['', '-wal', '-shm', '-journal'].map((suffix) => `${path}${suffix}`);

/**
 * Creates the database file owner-only before SQLite opens it, and tightens those of its files that exist. SQLite
 * creates -wal and -shm with the main file's permissions, so a 0600 database gets 0600 companions; chmod after
 * opening covers files an older install left behind.
 */
export function privateDatabaseFiles(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  for (const file of sqliteFiles(path)) if (existsSync(file)) chmodSync(file, PRIVATE_FILE_MODE);
}
