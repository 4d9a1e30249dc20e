// The task API's component tests (tasks.test.ts) again, with the app on PostgreSQL (one suite, two stores).
process.env.CC_TEST_STORE = 'pg';
await import('./tasks.test.js');
