// The dialer-agents suite (dialer-agents.test.ts) again, on PostgreSQL (one suite, two stores).
process.env.CC_TEST_STORE = 'pg';
await import('./dialer-agents.test.js');
