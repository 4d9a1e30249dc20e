// The flows-amd suite (flows-amd.test.ts) again, on PostgreSQL (one suite, two stores).
process.env.CC_TEST_STORE = 'pg';
await import('./flows-amd.test.js');
