// Runs live scenarios inside the network namespace (namespace-run.ts starts it): `node --import=tsx test/live/run.ts
// <group>`. Prints one JSON line per step for the tap file that started it; keeps the lab with CC_LIVE_KEEP=1.
import { runSteps } from '../browser/namespace-run.js';
import { Lab } from './lab.js';
import { groups as callGroups } from './scenarios.js';
import { sdkGroup } from './sdk-scenarios.js';

const groups = { ...callGroups, sdk: sdkGroup };

const name = process.argv[2] ?? '';
const group = (groups as Record<string, typeof sdkGroup>)[name];
if (!group) {
  console.log(JSON.stringify({ step: 'setup', ok: false, detail: `no scenario group ${name}` }));
  process.exit(1);
}
const report = (line: object) => console.log(JSON.stringify(line));
const lab = new Lab((log) => report({ log }));
process.on('SIGTERM', () => void lab.close().then(() => process.exit(1)));
const started = Date.now();
try {
  const timings = await runSteps(group, { lab } as never, report);
  report({ done: true, figures: { timings, totalMs: Date.now() - started } });
} catch (err) {
  report({ step: 'setup', ok: false, detail: String(err) });
} finally {
  if (process.env.CC_LIVE_DEBUG) {
    console.error(lab.serverOutput().slice(-20000));
  }
  await lab.close();
}
