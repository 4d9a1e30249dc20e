import { defineConfig } from 'drizzle-kit';

// PostgreSQL's migrations (npm run db:generate:pg), committed, applied at start-up by src/db/pg/open.ts.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/pg/schema.ts', // paths are relative to the working directory (the repository root)
  out: './src/db/pg/migrations',
});
