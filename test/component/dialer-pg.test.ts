// The dialer's component tests (dialer.test.ts) again, with the app on PostgreSQL (one suite, two stores).
process.env.CC_TEST_STORE = 'pg';
await import('./dialer.test.js');
