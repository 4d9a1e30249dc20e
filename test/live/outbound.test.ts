// Live tier: outbound calls against the real FreeSWITCH (test/live/scenarios.ts, group "outbound").
import { runLiveGroup } from './tap.js';

await runLiveGroup('outbound', 240_000);
