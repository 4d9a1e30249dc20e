// Live tier: answering-machine detection against the real FreeSWITCH (test/live/amd-scenarios.ts, group "amd").
import { runLiveGroup } from './tap.js';

await runLiveGroup('amd', 240_000);
