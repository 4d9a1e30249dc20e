// The statements prepared once (prepared-statements.test.ts) again, on PostgreSQL (one suite, two stores).
process.env.CC_TEST_STORE = 'pg';
await import('./prepared-statements.test.js');
