// The hot path's statement counts (hot-path-statements.test.ts) again, on PostgreSQL (one suite, two stores).
process.env.CC_TEST_STORE = 'pg';
await import('./hot-path-statements.test.js');
