// The signed API across instances (cluster-api.test.ts) again, each instance on its own PostgreSQL database.
process.env.CC_TEST_STORE = 'pg';
await import('./cluster-api.test.js');
