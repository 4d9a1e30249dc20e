// The committed migrations must be exactly what drizzle-kit generates from src/db/schema.ts (style.md §11).
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { migrationsFolder, openStore } from '../../src/db/database.js';

t.test('the committed migrations match the schema', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-migrations-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'migrations');
  cpSync(migrationsFolder, out, { recursive: true });
  const before = readdirSync(out).sort();
  const config = join(dir, 'drizzle.config.mjs');
  writeFileSync(
    config,
    `export default { dialect: 'sqlite', schema: ${JSON.stringify(resolve('src/db/schema.ts'))}, out: ${JSON.stringify(relative(process.cwd(), out))} };\n`,
  );
  const log = execFileSync('npx', ['--no-install', 'drizzle-kit', 'generate', '--config', config], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  t.same(
    readdirSync(out).sort(),
    before,
    `drizzle-kit generated new migrations: run npm run db:generate\n${log}`,
  );
  t.match(log, /No schema changes/);
});

t.test('a fresh database migrates and enforces foreign keys', async (t) => {
  const store = openStore(':memory:');
  t.teardown(store.close);
  t.equal(store.sqlite.pragma('foreign_keys', { simple: true }), 1);
  t.throws(() =>
    store.sqlite
      .prepare(
        "INSERT INTO projects (project_code, seats, node_id, certificate, created_at, updated_at) VALUES ('p', 1, 999, 'c', 0, 0)",
      )
      .run(),
  );
});
