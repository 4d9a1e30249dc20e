// Live tier: our SDK in Chromium registered to FreeSWITCH's own ws binding (test/live/sdk-scenarios.ts).
import { runLiveGroup } from './tap.js';

await runLiveGroup('sdk', 180_000);
