// Live tier: the "faults" group again with our server on PostgreSQL (CC_DATABASE_URL, issue 19): the lab gives the
// server a database of its own on the suite's cluster (test/support/postgres.ts) and reads it with psql.
import { runLiveGroup } from './tap.js';

process.env.CC_LIVE_STORE = 'pg';
await runLiveGroup('faults', 360_000);
