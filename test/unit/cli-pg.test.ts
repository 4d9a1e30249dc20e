// The account CLI's tests (cli.test.ts) again, on PostgreSQL (CC_DATABASE_URL): one suite, two stores.
process.env.CC_TEST_STORE = 'pg';
await import('./cli.test.js');
