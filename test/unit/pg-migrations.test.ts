// PostgreSQL's committed migrations must be exactly what drizzle-kit generates from src/db/pg/schema.ts and cluster-schema.ts (style.md
// §11), as the SQLite ones are (migrations.test.ts).
import t from 'tap';
import { generateOnCopy } from '../support/generated-migrations.js';
import { pgMigrationsFolder } from '../../src/db/pg/open.js';

t.test('the committed PostgreSQL migrations match the pg schema', async (t) => {
  // The cluster's tables (issue 20) are PostgreSQL only, in their own file: the migrations hold both.
  const schema = ['src/db/pg/schema.ts', 'src/db/pg/cluster-schema.ts'];
  const { before, after, log } = generateOnCopy(t, pgMigrationsFolder, 'postgresql', schema);
  t.same(after, before, `drizzle-kit generated new migrations: run npm run db:generate:pg\n${log}`);
  t.match(log, /No schema changes/);
});
