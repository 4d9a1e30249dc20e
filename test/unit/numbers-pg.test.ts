// The number store's tests (numbers.test.ts) again, on PostgreSQL (one suite, two stores).
process.env.CC_TEST_STORE = 'pg';
await import('./numbers.test.js');
