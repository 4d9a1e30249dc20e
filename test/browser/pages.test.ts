// What a new operator meets in the browser (issue #17 item 17), in Debian chromium: runs pages-scenario.ts in a
// fresh network namespace and turns each of its steps into an assertion. Screenshots: test-output/pages/
// (landing.png, docs-authorize.png, sdk-demo.png, manager-offline-agent.png, workbench-call-buttons.png,
// workbench-disconnected.png, workbench-reconnected.png). Skips with the reason when the machine cannot do it.
import t from 'tap';
import { namespaceUnavailable } from './namespace-run.js';
import { runPageScenario } from './page-run.js';

const RUN_LIMIT_MS = 90_000;
const skip = namespaceUnavailable();

t.test(
  'the landing page, the docs, the SDK demo, the manager page and the workbench, in chromium',
  { skip: skip ?? false, timeout: RUN_LIMIT_MS + 60_000 },
  async (t) => {
    const lines = await runPageScenario(t, 'test/browser/pages-scenario.ts', RUN_LIMIT_MS);
    t.equal(lines.filter((l) => l.step && l.step !== 'setup').length, 8, 'every story ran');
  },
);
