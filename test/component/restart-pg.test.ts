// The restart component test (restart.test.ts) again, with the app on PostgreSQL (one suite, two stores).
process.env.CC_TEST_STORE = 'pg';
await import('./restart.test.js');
