// Live tier: agents as they work for real, over HTTPS and WSS with certificates of a test CA (test/live/secure-scenarios.ts).
import { runLiveGroup } from './tap.js';

await runLiveGroup('secure', 180_000);
