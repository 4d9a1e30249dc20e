// Turns one live scenario group, run in its own network namespace, into tap assertions. The live tier is part of
// `npm test`: when it cannot run (no FreeSWITCH build, no sipp), the test fails and says why; it never skips.
import t from 'tap';
import { namespaceUnavailableFor, runInNamespace } from '../browser/namespace-run.js';
import { liveUnavailable } from './lab.js';

export async function runLiveGroup(group: string, limitMs: number, minSteps = 1): Promise<void> {
  // .taprc's 120 s per file is for ordinary tests; a group runs against real peers in its own namespace.
  t.setTimeout(limitMs + 60_000);
  await t.test(`live: ${group}`, { timeout: limitMs + 30_000 }, async (t) => {
    const why = namespaceUnavailableFor('live tier') ?? liveUnavailable();
    if (why) {
      t.fail(`the live tier cannot run: ${why}`);
      return;
    }
    const { lines, stderr, timedOut } = await runInNamespace(`test/live/run.ts ${group}`, limitMs);
    t.notOk(timedOut, `the group finished within ${limitMs / 1000} s`);
    for (const line of lines) {
      if (line.log) t.comment(line.log);
      if (line.step) t.ok(line.ok, line.step, { detail: line.detail });
      if (line.done) t.comment(`timings (ms): ${JSON.stringify(line.figures)}`);
    }
    t.ok(lines.filter((l) => l.step).length >= minSteps, 'every scenario of the group ran');
    t.ok(
      lines.some((l) => l.done),
      'the group reached its end',
      { stderr: stderr.slice(-3000) },
    );
  });
}
