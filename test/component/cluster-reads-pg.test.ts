// The console reads across instances (cluster-reads.test.ts) again, each instance on its own PostgreSQL database.
process.env.CC_TEST_STORE = 'pg';
await import('./cluster-reads.test.js');
