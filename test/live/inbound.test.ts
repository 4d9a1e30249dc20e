// Live tier: inbound calls, the queue, agent codes and off-hook agents against the real FreeSWITCH
// (test/live/scenarios.ts, group "inbound").
import { runLiveGroup } from './tap.js';

await runLiveGroup('inbound', 240_000);
