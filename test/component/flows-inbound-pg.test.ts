// The flows-inbound suite (flows-inbound.test.ts) again, on PostgreSQL (one suite, two stores).
process.env.CC_TEST_STORE = 'pg';
await import('./flows-inbound.test.js');
