// cdr-agent-race.test.ts on PostgreSQL, where the two CDRs are written side by side.
process.env.CC_TEST_STORE = 'pg';
await import('./cdr-agent-race.test.js');
