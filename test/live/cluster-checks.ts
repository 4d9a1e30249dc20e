// What the live `cluster` scenarios read and assert (issue 20): who owns a project (the lease rows in PostgreSQL),
// what each instance dialled (dialer.originates on its /health), what the carrier saw, how each number was settled.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AppStompClient } from '../support/stomp-client.js';
import type { ClusterWorld } from './cluster-world.js';
import { waitFor } from './lab.js';

export function check(cond: unknown, what: string, detail?: unknown): asserts cond {
  if (!cond) throw new Error(`${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
}

export interface Lease {
  project_code: string;
  owner: string | null;
  epoch: number;
  /** The lease has not expired in database time. */
  live: boolean;
}

/** The project's lease row as PostgreSQL has it now (fails if the lease store is missing). */
export function lease(w: ClusterWorld, project: string): Lease | undefined {
  return w.lab.sql<Lease>(
    `SELECT project_code, owner, epoch, expires_at > (extract(epoch from now()) * 1000)::bigint AS live
     FROM project_leases WHERE project_code = ?`,
    project,
  )[0];
}

/** Every active project's lease row (live owners only count where `live`). */
function leases(w: ClusterWorld): Lease[] {
  return w.lab.sql<Lease>(
    `SELECT l.project_code, l.owner, l.epoch, l.expires_at > (extract(epoch from now()) * 1000)::bigint AS live
     FROM project_leases l JOIN projects p ON p.project_code = l.project_code AND p.status = 1
     ORDER BY l.project_code`,
  );
}

/** How many projects each instance holds now (a live lease), in instance order. */
export function spread(w: ClusterWorld): number[] {
  const rows = leases(w);
  return w.cluster.instances.map((i) => rows.filter((r) => r.live && r.owner === i.id).length);
}

/**
 * An operator's hand-over (the lease row's move_to; there is no API for it yet): the owner drains the project and
 * releases it, and `to` takes it.
 */
export function requestMove(w: ClusterWorld, project: string, to: string): void {
  const r = spawnSync(
    'psql',
    [
      '-At',
      '-v',
      'ON_ERROR_STOP=1',
      '-d',
      w.lab.pgUrl!,
      '-c',
      `UPDATE project_leases SET move_to = '${to}' WHERE project_code = '${project}'`,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0 || r.stdout.trim() !== 'UPDATE 1') throw new Error(`move_to: ${r.stderr}${r.stdout}`);
}

/** Waits until the project has a live owner other than `not`; returns the owner's instance index and epoch. */
export async function ownerOf(
  w: ClusterWorld,
  project: string,
  timeoutMs = 20_000,
  not?: string,
): Promise<{ index: number; epoch: number }> {
  const l = await waitFor(
    `a live owner of ${project}${not ? ` other than ${not}` : ''} (project_leases)`,
    () => {
      const row = lease(w, project);
      return row?.live && row.owner && row.owner !== not ? row : undefined;
    },
    timeoutMs,
    100,
  );
  const index = w.cluster.instances.findIndex((i) => i.id === l.owner);
  check(index >= 0, `the owner of ${project} is one of the lab's instances`, l);
  return { index, epoch: Number(l.epoch) };
}

/** dialer.originates of every instance (undefined for one that does not answer). */
export async function originates(w: ClusterWorld): Promise<(number | undefined)[]> {
  return Promise.all(
    w.cluster.instances.map(async (inst) => {
      const h = await w.cluster.health(inst.index);
      return h ? (h.metrics?.['dialer.originates'] ?? 0) : undefined;
    }),
  );
}

/** How often the carrier was sent an INVITE for each number. */
export function invites(w: ClusterWorld, numbers: string[]): Map<string, number> {
  const events = w.lab.carrierEvents();
  return new Map(
    numbers.map((n) => [n, events.filter((e) => e.number === n && e.event === 'invite').length]),
  );
}

export function dialledOnce(w: ClusterWorld, numbers: string[]): void {
  const twice = [...invites(w, numbers)].filter(([, n]) => n !== 1);
  check(twice.length === 0, 'every number was dialled exactly once (carrier INVITEs per number)', twice);
}

export interface LogRow {
  destination_number: string;
  result: number | null;
  result_detail: number | null;
  billsec: number | null;
  record_file: string | null;
  cdr_received: number;
  caller_id_number: string | null;
}

/** Waits until every number of the task has a settled call log; returns all its rows (to count them). */
export async function settledRows(
  w: ClusterWorld,
  task: string,
  numbers: string[],
  timeoutMs = 90_000,
): Promise<LogRow[]> {
  return waitFor(
    `every number of ${task} settled (${numbers.length})`,
    () => {
      const rows = w.lab.sql<LogRow>(
        `SELECT destination_number, result, result_detail, billsec, record_file, cdr_received, caller_id_number
         FROM call_logs WHERE call_task_code = ?`,
        task,
      );
      const done = new Set(rows.filter((r) => r.result !== null).map((r) => r.destination_number));
      return numbers.every((n) => done.has(n)) ? rows : undefined;
    },
    timeoutMs,
    500,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; numbers by state ${JSON.stringify(numberStates(w, task))}`);
  });
}

/** The task's numbers by state (pending, dialing, done), for a failure's detail. */
export function numberStates(w: ClusterWorld, task: string): Record<string, string[]> {
  const rows = w.lab.sql<{ phone: string; state: string }>(
    `SELECT tn.phone, tn.state FROM task_numbers tn JOIN tasks t ON t.id = tn.task_id WHERE t.call_task_code = ?`,
    task,
  );
  const out: Record<string, string[]> = {};
  for (const r of rows) (out[r.state] ??= []).push(r.phone);
  return out;
}

/** One call log per number, each settled; and no number left dialing or pending. */
export function settledOnce(w: ClusterWorld, task: string, numbers: string[], rows: LogRow[]): void {
  for (const n of numbers) {
    const mine = rows.filter((r) => r.destination_number === n);
    check(mine.length === 1, `${n} is settled once (one call log)`, mine);
  }
  const left = w.lab.sql<{ n: number }>(
    `SELECT count(*) n FROM task_numbers tn JOIN tasks t ON t.id = tn.task_id
     WHERE t.call_task_code = ? AND tn.state IN ('dialing', 'pending')`,
    task,
  )[0]!.n;
  check(Number(left) === 0, 'no number is left dialing or pending', left);
}

/** Talked to the end (the carrier hangs up 8 s after answering): 10/55, billed, recorded, its CDR ingested. */
export function talkedToTheEnd(row: LogRow | undefined, what: string): void {
  check(row, `${what}: a call log`);
  check(Number(row.result) === 10 && Number(row.result_detail) === 55, `${what}: result 10/55`, row);
  check(Number(row.billsec) >= 6, `${what}: the talk is billed (billsec >= 6)`, row);
  check(row.record_file && existsSync(row.record_file), `${what}: the recording exists`, row);
  check(Number(row.cdr_received) === 1, `${what}: FreeSWITCH's CDR was ingested`, row);
}

/** Customer legs talking on the switch (answered, external profile), fail-closed. */
export function talking(w: ClusterWorld): Record<string, string>[] {
  return w.lab
    .channels()
    .filter((r) => (r.name ?? '').startsWith('sofia/external/') && r.callstate === 'ACTIVE');
}

/**
 * Waits until the latest frame on `/topic/<topic>/<agent>` is the same one on the agent's session on every running
 * instance, and is a new one on each (more than `before` frames). Returns how many each session has.
 */
export async function sameFrameEverywhere(
  w: ClusterWorld,
  agent: string,
  topic: string,
  before: number[] = [],
  timeoutMs = 8000,
): Promise<number[]> {
  const dest = `/topic/${topic}/${agent}`;
  const sessions = w.sessions.get(agent)!;
  const live = sessions.map((c, i) => ({ c, i })).filter(({ i }) => w.cluster.running(i));
  const frames = (c: AppStompClient) => c.messages.get(dest) ?? [];
  await waitFor(
    `${dest} on ${agent}'s session on every instance (the same frame)`,
    () => {
      if (live.some(({ c, i }) => frames(c).length <= (before[i] ?? 0))) return false;
      const last = live.map(({ c }) => JSON.stringify(frames(c).at(-1)));
      return last.every((f) => f === last[0]);
    },
    timeoutMs,
    50,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; got ${JSON.stringify(live.map(({ c }) => frames(c).slice(-2)))}`);
  });
  return sessions.map((c) => frames(c).length);
}

/** How many frames each of the agent's sessions has on the topic. */
export function frameCounts(w: ClusterWorld, agent: string, topic: string): number[] {
  return w.sessions.get(agent)!.map((c) => (c.messages.get(`/topic/${topic}/${agent}`) ?? []).length);
}
