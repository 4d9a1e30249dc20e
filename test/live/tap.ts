// Turns one live scenario group, run in its own network namespace, into tap tests: one test per step of the group
// (run.ts prints the steps' names first), so the count says what was proven. A step that never reported (the group
// crashed or ran out of time) fails by name. The live tier is part of `npm test`: when it cannot run (no FreeSWITCH
// build, no sipp), the test fails and says why; it never skips.
import t, { type Test } from 'tap';
import { namespaceUnavailableFor, runInNamespace, type StepLine } from '../browser/namespace-run.js';
import { liveUnavailable } from './lab.js';

export async function runLiveGroup(group: string, limitMs: number): Promise<void> {
  // .taprc's 120 s per file is for ordinary tests; a group runs against real peers in its own namespace.
  t.setTimeout(limitMs + 60_000);
  const store = process.env.CC_LIVE_STORE === 'pg' ? ' on PostgreSQL' : '';
  await t.test(`live: ${group}${store}`, { timeout: limitMs + 30_000 }, async (t) => {
    const why = namespaceUnavailableFor('live tier') ?? liveUnavailable();
    if (why) {
      t.fail(`the live tier cannot run: ${why}`);
      return;
    }
    const { lines, stderr, timedOut } = await runInNamespace(`test/live/run.ts ${group}`, limitMs);
    const plan = lines.find((l) => l.plan)?.plan ?? [];
    t.ok(plan.length > 0, 'the group named its steps', { stderr: stderr.slice(-3000) });
    const reported = new Set<string>();
    for (const line of lines) {
      if (line.log) t.comment(line.log);
      if (line.done) t.comment(`timings (ms): ${JSON.stringify(line.figures)}`);
      if (!line.step) continue;
      reported.add(line.step);
      if (plan.includes(line.step)) await stepTest(t, line.step, line);
      // Not a planned step: the runner's own failure (`setup`), an assertion of the group.
      else t.ok(line.ok, line.step, { detail: line.detail });
    }
    for (const step of plan.filter((s) => !reported.has(s)))
      await stepTest(t, step, {
        ok: false,
        detail: timedOut
          ? `the group ran out of its ${limitMs / 1000} s`
          : 'the group ended before this step',
      });
    t.notOk(timedOut, `the group finished within ${limitMs / 1000} s`);
    t.ok(
      lines.some((l) => l.done),
      'the group reached its end',
      { stderr: stderr.slice(-3000) },
    );
  });
}

async function stepTest(t: Test, step: string, line: StepLine): Promise<void> {
  await t.test(step, async (t) => {
    if (line.ok && line.detail) t.comment(line.detail);
    t.ok(line.ok, line.ok ? 'the step held' : 'the step failed', { detail: line.detail });
  });
}
