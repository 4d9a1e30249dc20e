// PostgreSQL's committed migrations must be exactly what drizzle-kit generates from src/db/pg/schema.ts (style.md
// §11), as the SQLite ones are (migrations.test.ts).
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { pgMigrationsFolder } from '../../src/db/pg/open.js';

t.test('the committed PostgreSQL migrations match the pg schema', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-pg-migrations-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'migrations');
  cpSync(pgMigrationsFolder, out, { recursive: true });
  const before = readdirSync(out).sort();
  const config = join(dir, 'drizzle.config.mjs');
  writeFileSync(
    config,
    `export default { dialect: 'postgresql', schema: ${JSON.stringify(resolve('src/db/pg/schema.ts'))}, out: ${JSON.stringify(relative(process.cwd(), out))} };\n`,
  );
  const log = execFileSync('npx', ['--no-install', 'drizzle-kit', 'generate', '--config', config], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  t.same(
    readdirSync(out).sort(),
    before,
    `drizzle-kit generated new migrations: run npm run db:generate:pg\n${log}`,
  );
  t.match(log, /No schema changes/);
});
