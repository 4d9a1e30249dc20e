// The manager page's live model: extension rows from /topic/callExtStatus/{p} (spec 三.13) and task rows from
// /topic/callTaskStatus/{p} (spec 三.14), seeded by the console snapshot. Pure: each message makes a new map.
import { RegStatus, SessionStatus, WorkStatus } from '../../core/codes.js';

export interface ExtRow {
  username: string;
  status: number;
  workStatus: number;
  sessionStatus: number;
  destinationNumber: string | null;
  destinationUUID: string | null;
  type: number;
}

export interface TaskRow {
  code: string;
  totalCnt: number;
  failCnt: number;
  rejectCnt: number;
  missCnt: number;
  successCnt: number;
  rate: number;
  status: number;
  runningCnt: number;
  /** Why a running task is not dialling (issue 17.12: the server's `notDialling.detail`), null while it dials. */
  notDialling: string | null;
}

const num = (v: unknown, fallback: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback;
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The rows with `update` applied; a message without a username is ignored. */
export function mergeExt(rows: ReadonlyMap<string, ExtRow>, update: unknown): Map<string, ExtRow> {
  const next = new Map(rows);
  const u = (update ?? {}) as Record<string, unknown>;
  const username = typeof u.username === 'string' ? u.username : '';
  if (!username) return next;
  const before = rows.get(username);
  next.set(username, {
    username,
    status: num(u.status, before?.status ?? RegStatus.unregistered),
    workStatus: num(u.workStatus, before?.workStatus ?? WorkStatus.unavailable),
    sessionStatus: num(u.sessionStatus ?? u.sessionSatus, before?.sessionStatus ?? SessionStatus.idle),
    destinationNumber:
      'destinationNumber' in u ? text(u.destinationNumber) : (before?.destinationNumber ?? null),
    destinationUUID: 'destinationUUID' in u ? text(u.destinationUUID) : (before?.destinationUUID ?? null),
    type: num(u.type, before?.type ?? 2),
  });
  return next;
}

/** Agents first, then managers; by extension number within each. */
export function sortedExts(rows: ReadonlyMap<string, ExtRow>): ExtRow[] {
  return [...rows.values()].sort(
    (a, b) =>
      a.type - b.type || Number(a.username) - Number(b.username) || a.username.localeCompare(b.username),
  );
}

export interface ExtSummary {
  agents: number;
  registered: number;
  available: number;
  talking: number;
}

export function summarize(rows: ReadonlyMap<string, ExtRow>): ExtSummary {
  const agents = [...rows.values()].filter((r) => r.type !== 3);
  return {
    agents: agents.length,
    registered: agents.filter((r) => r.status === RegStatus.registered).length,
    available: agents.filter(
      (r) =>
        r.status === RegStatus.registered &&
        r.workStatus === WorkStatus.available &&
        r.sessionStatus === SessionStatus.idle,
    ).length,
    talking: agents.filter((r) => r.sessionStatus !== SessionStatus.idle).length,
  };
}

const notDiallingOf = (v: unknown): string | null =>
  v && typeof v === 'object' ? text((v as { detail?: unknown }).detail) : null;

export function mergeTask(rows: ReadonlyMap<string, TaskRow>, update: unknown): Map<string, TaskRow> {
  const next = new Map(rows);
  const u = (update ?? {}) as Record<string, unknown>;
  const code = typeof u.code === 'string' ? u.code : typeof u.callTaskCode === 'string' ? u.callTaskCode : '';
  if (!code) return next;
  const before = rows.get(code);
  const field = (k: keyof TaskRow) => num(u[k], (before?.[k] as number | undefined) ?? 0);
  next.set(code, {
    code,
    totalCnt: field('totalCnt'),
    failCnt: field('failCnt'),
    rejectCnt: field('rejectCnt'),
    missCnt: field('missCnt'),
    successCnt: field('successCnt'),
    rate: field('rate'),
    status: field('status'),
    runningCnt: field('runningCnt'),
    notDialling: 'notDialling' in u ? notDiallingOf(u.notDialling) : (before?.notDialling ?? null),
  });
  return next;
}

/** Share of the task's numbers that have an outcome, 0..1 (rejections are counted within failures). */
export function taskProgress(t: TaskRow): number {
  if (t.totalCnt <= 0) return 0;
  return Math.min(1, (t.successCnt + t.failCnt + t.missCnt) / t.totalCnt);
}
