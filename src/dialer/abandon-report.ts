// Abandon-rate reporting (issue 14.9): abandoned / live answers per task and per project over the two regulatory
// windows, the last 24 hours (UK Ofcom) and the last 30 days (US FTC/FCC). It counts the verdicts the dialer stored
// on each call log (pacing/abandon.ts: no agent within 2 s is an abandon), so the report and the pacer agree.
import type { AbandonRepo } from '../db/repos/abandon.js';
import { ABANDON_CAP, MAX_AGENT_WAIT_MS } from './pacing/abandon.js';

const REPORT_WINDOWS = [
  { name: 'last24h', ms: 24 * 3600_000 },
  { name: 'last30d', ms: 30 * 24 * 3600_000 },
] as const;

interface AbandonFigures {
  from: number;
  to: number;
  liveAnswers: number;
  abandoned: number;
  /** abandoned / live answers; 0 without live answers. */
  abandonRate: number;
  overCap: boolean;
}

type Windows = Record<(typeof REPORT_WINDOWS)[number]['name'], AbandonFigures>;

interface AbandonReport {
  projectCode: string;
  cap: number;
  maxAgentWaitMs: number;
  project: Windows;
  tasks: { callTaskCode: string; pacing: string; abandonTarget: number; status: number; windows: Windows }[];
}

function figures(live: number, abandoned: number, from: number, to: number): AbandonFigures {
  const abandonRate = live ? abandoned / live : 0;
  return { from, to, liveAnswers: live, abandoned, abandonRate, overCap: abandonRate > ABANDON_CAP };
}

/** The project's report, with every task it has (or just `onlyTaskId`'s). */
export async function abandonReport(
  store: AbandonRepo,
  project: { id: number; projectCode: string },
  now: number,
  onlyTaskId?: number,
): Promise<AbandonReport> {
  const since = REPORT_WINDOWS.map((w) => now - w.ms);
  const { tasks: taskRows, counts } = await store.read(project.id, since, onlyTaskId);
  const perWindow = REPORT_WINDOWS.map((w, i) => ({
    name: w.name,
    from: since[i] ?? now,
    rows: counts[i] ?? [],
  }));
  const windowsOf = (taskId?: number): Windows => {
    const out = {} as Windows;
    for (const w of perWindow) {
      const rows = taskId === undefined ? w.rows : w.rows.filter((r) => r.taskId === taskId);
      const live = rows.reduce((s, r) => s + r.live, 0);
      const abandoned = rows.reduce((s, r) => s + r.abandoned, 0);
      out[w.name] = figures(live, abandoned, w.from, now);
    }
    return out;
  };
  return {
    projectCode: project.projectCode,
    cap: ABANDON_CAP,
    maxAgentWaitMs: MAX_AGENT_WAIT_MS,
    project: windowsOf(),
    tasks: taskRows.map((t) => ({
      callTaskCode: t.callTaskCode,
      pacing: t.pacing,
      abandonTarget: t.abandonTarget ?? ABANDON_CAP,
      status: t.status,
      windows: windowsOf(t.id),
    })),
  };
}
