// Live tier: a dialplan leg among several instances (socket failover list, hand-off to the owner) against the real
// FreeSWITCH (test/live/handoff-scenarios.ts, group "handoff").
import { runLiveGroup } from './tap.js';

await runLiveGroup('handoff', 120_000);
