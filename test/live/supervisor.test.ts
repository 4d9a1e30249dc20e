// Live tier: supervisor and in-call commands against the real FreeSWITCH: eavesdrop with DTMF, playVoice,
// transfer, conference, manager-agent calls (test/live/scenarios.ts, group "supervisor").
import { runLiveGroup } from './tap.js';

await runLiveGroup('supervisor', 240_000);
