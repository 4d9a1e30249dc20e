// The flows-agent-first suite (flows-agent-first.test.ts) again, on PostgreSQL (one suite, two stores).
process.env.CC_TEST_STORE = 'pg';
await import('./flows-agent-first.test.js');
