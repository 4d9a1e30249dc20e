// The call-flows suite (call-flows.test.ts) again, on PostgreSQL (one suite, two stores).
process.env.CC_TEST_STORE = 'pg';
await import('./call-flows.test.js');
