// Live tier: the "inbound" group again with our server on PostgreSQL (CC_DATABASE_URL, issue 19): inbound routing
// reads its candidates from the store on every call, and the inbound flows' outcomes meet FreeSWITCH's CDRs there.
import { runLiveGroup } from './tap.js';

process.env.CC_LIVE_STORE = 'pg';
await runLiveGroup('inbound', 240_000);
