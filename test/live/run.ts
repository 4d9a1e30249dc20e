// Runs live scenarios inside the network namespace (namespace-run.ts starts it): `node --import=tsx test/live/run.ts
// <group>`. Prints one JSON line per step for the tap file that started it; keeps the lab with CC_LIVE_KEEP=1.
// CC_LIVE_CAPTURE=<dir> records both event-socket links into <dir>/<group>/ (capture.ts); off by default, see there.
import { join } from 'node:path';
import { runSteps } from '../browser/namespace-run.js';
import { Lab } from './lab.js';
import { amdGroup } from './amd-scenarios.js';
import { clusterGroup } from './cluster-scenarios.js';
import { clusterFrontGroup } from './cluster-front-scenarios.js';
import { handoffGroup } from './handoff-scenarios.js';
import { groups as callGroups } from './scenarios.js';
import { sdkGroup } from './sdk-scenarios.js';
import { secureGroup } from './secure-scenarios.js';

const groups = { ...callGroups, sdk: sdkGroup, secure: secureGroup, amd: amdGroup, handoff: handoffGroup };
// Its steps start from a world of several instances (cluster-world.ts), not from world.ts's one server.
const allGroups = {
  ...groups,
  cluster: clusterGroup as unknown as typeof sdkGroup,
  'cluster-front': clusterFrontGroup as unknown as typeof sdkGroup,
};

const name = process.argv[2] ?? '';
const group = (allGroups as Record<string, typeof sdkGroup>)[name];
if (!group) {
  console.log(JSON.stringify({ step: 'setup', ok: false, detail: `no scenario group ${name}` }));
  process.exit(1);
}
const report = (line: object) => console.log(JSON.stringify(line));
const captureRoot = process.env.CC_LIVE_CAPTURE;
const lab = new Lab(
  (log) => report({ log }),
  captureRoot ? { dir: join(captureRoot, name), group: name } : undefined,
);
process.on('SIGTERM', () => void lab.close().then(() => process.exit(1)));
const started = Date.now();
// The tap file turns each planned step into a test of its own, so a step that never reports still fails by name.
report({ plan: group.map(([step]) => step) });
try {
  // Each scenario's start is a NOTE in the transcripts, so capture-trim.ts can cut them per scenario.
  const noted = group.map(([step, fn]): (typeof group)[number] => [
    step,
    (c) => {
      lab.note(`scenario: ${step}`);
      return fn(c);
    },
  ]);
  const timings = await runSteps(noted, { lab } as never, report);
  report({ done: true, figures: { timings, totalMs: Date.now() - started } });
} catch (err) {
  report({ step: 'setup', ok: false, detail: String(err) });
} finally {
  if (process.env.CC_LIVE_DEBUG) {
    console.error(lab.serverOutput().slice(-20000));
  }
  await lab.close();
}
