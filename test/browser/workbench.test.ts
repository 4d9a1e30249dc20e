// The agent workbench and the manager page in Debian chromium, served by the app with the FreeSWITCH emulator:
// runs workbench-scenario.ts inside a fresh network namespace (only lo up: the app, the emulator and chromium
// share it) and turns each of its steps into an assertion. Screenshots: test-output/pages/.
// Skips with the reason when the machine cannot do it (no root for unshare, no chromium).
import t from 'tap';
import { namespaceUnavailable } from './namespace-run.js';
import { runPageScenario } from './page-run.js';

const RUN_LIMIT_MS = 60_000;

const skip = namespaceUnavailable();

t.test(
  'the workbench and the manager page in chromium, served by the app',
  { skip: skip ?? false, timeout: RUN_LIMIT_MS + 60_000 },
  async (t) => {
    const lines = await runPageScenario(t, 'test/browser/workbench-scenario.ts', RUN_LIMIT_MS);
    const steps = lines.filter((l) => l.step && l.step !== 'setup').length;
    t.ok(steps >= 18, `every story ran (${steps})`);
  },
);
