// Live tier: voice prompts and agent-dialled calls against the real FreeSWITCH: play only (5), play then agent (2),
// preview and /app/call (test/live/scenarios.ts, group "voices").
import { runLiveGroup } from './tap.js';

await runLiveGroup('voices', 240_000);
