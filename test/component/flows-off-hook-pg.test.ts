// The flows-off-hook suite (flows-off-hook.test.ts) again, on PostgreSQL (one suite, two stores).
process.env.CC_TEST_STORE = 'pg';
await import('./flows-off-hook.test.js');
