import { defineConfig } from 'drizzle-kit';

// Migrations are generated (npm run db:generate), committed, and applied at start-up by src/db/database.ts.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts', // paths are relative to the working directory (the repository root)
  out: './src/db/migrations',
});
