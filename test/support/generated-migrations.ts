// Runs drizzle-kit generate on a copy of a committed migration folder: a schema the migrations do not match makes
// it write a new file (migrations.test.ts for SQLite, pg-migrations.test.ts for PostgreSQL).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

/** The folder's files before and after generating, and drizzle-kit's output. */
export function generateOnCopy(
  t: { teardown(fn: () => void): void },
  folder: string,
  dialect: 'sqlite' | 'postgresql',
  schemaFile: string | string[],
): { before: string[]; after: string[]; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cc-migrations-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'migrations');
  cpSync(folder, out, { recursive: true });
  const before = readdirSync(out).sort();
  const config = join(dir, 'drizzle.config.mjs');
  writeFileSync(
    config,
    `export default { dialect: '${dialect}', schema: ${JSON.stringify([schemaFile].flat().map((f) => resolve(f)))}, out: ${JSON.stringify(relative(process.cwd(), out))} };\n`,
  );
  const log = execFileSync('npx', ['--no-install', 'drizzle-kit', 'generate', '--config', config], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { before, after: readdirSync(out).sort(), log };
}
