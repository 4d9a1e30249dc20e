// Live tier: an agent whose phone rejects the call is skipped (test/live/scenarios.ts, group "rejects").
import { runLiveGroup } from './tap.js';

await runLiveGroup('rejects', 120_000);
