import { defineConfig } from 'drizzle-kit';

// PostgreSQL's migrations (npm run db:generate:pg), committed, applied at start-up by src/db/pg/open.ts.
export default defineConfig({
  dialect: 'postgresql',
  // Paths are relative to the working directory (the repository root); the cluster tables are PostgreSQL only.
  schema: ['./src/db/pg/schema.ts', './src/db/pg/cluster-schema.ts'],
  out: './src/db/pg/migrations',
});
