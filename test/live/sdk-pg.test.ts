// Live tier: the "sdk" group again with our server on PostgreSQL (CC_DATABASE_URL, issue 19): every flow of the real
// FreeSWITCH tier runs on both stores in `npm test`, with the same expectations.
import { runLiveGroup } from './tap.js';

process.env.CC_LIVE_STORE = 'pg';
await runLiveGroup('sdk', 180_000);
