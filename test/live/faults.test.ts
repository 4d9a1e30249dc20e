// Live tier: faults against the real FreeSWITCH: kill -9 of our server mid-campaign, reload of mod_event_socket,
// a FreeSWITCH restart, disabling an extension (test/live/scenarios.ts, group "faults").
import { runLiveGroup } from './tap.js';

await runLiveGroup('faults', 360_000);
