// The committed migrations must be exactly what drizzle-kit generates from src/db/schema.ts (style.md §11).
import t from 'tap';
import { generateOnCopy } from '../support/generated-migrations.js';
import { migrationsFolder, openStore } from '../../src/db/database.js';

t.test('the committed migrations match the schema', async (t) => {
  const { before, after, log } = generateOnCopy(t, migrationsFolder, 'sqlite', 'src/db/schema.ts');
  t.same(after, before, `drizzle-kit generated new migrations: run npm run db:generate\n${log}`);
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
