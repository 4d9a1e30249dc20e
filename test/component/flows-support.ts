// Fixtures shared by the flows-* component tests (and call-flows, dialer-agents): a gateway on a task, numbers, call
// logs, and an agent's STOMP session with the topics it listens to. Asynchronous, over the repositories and
// store-neutral SQL, so each suite runs on SQLite and on PostgreSQL (its *-pg.test.ts wrapper).
import { sql } from 'drizzle-orm';
import type { Repos } from '../../src/db/repos/index.js';
import type { taskNumbers } from '../../src/db/schema.js';
import { eventually } from '../support/app.js';
import { insertGateway } from '../support/gateways.js';
import type { CallHarness } from '../support/calls.js';
import { connectStomp, type AppStompClient } from '../support/stomp-client.js';

type TaskNumberRow = typeof taskNumbers.$inferSelect;

export async function gatewayFor(
  h: CallHarness,
  taskId: number,
  gwCode: string,
  opts: { lines?: number; originationCallId?: string; realm?: string } = {},
) {
  const now = h.app.ctx.clock.now();
  // Through the repositories and store-neutral SQL, so the suites run on either store (the *-pg.test.ts files).
  const gw = await insertGateway(
    h.app.ctx.repos.gateways,
    {
      gwCode,
      realm: opts.realm ?? '192.0.2.10:5060',
      expectCount: opts.lines ?? 5,
      originationCallId: opts.originationCallId ?? '02100000000',
      mobilePhonePrefix: '0',
    },
    now,
  );
  await h.exec(
    sql`insert into task_gateways (task_id, gateway_id, concurrency) values (${taskId}, ${gw.id}, ${opts.lines ?? 5})`,
  );
  return gw;
}

export async function setTask(
  h: CallHarness,
  taskId: number,
  fields: Parameters<Repos['tasks']['update']>[1],
): Promise<void> {
  await h.app.ctx.repos.tasks.update(taskId, fields, h.app.ctx.clock.now());
}

export async function addNumber(
  h: CallHarness,
  taskId: number,
  phone: string,
  state: 'pending' | 'preview' = 'pending',
  assignedTo: string | null = null,
): Promise<number> {
  const [row] = await h.exec<{ id: number }>(
    sql`insert into task_numbers (task_id, phone, state, assigned_to, updated_at)
        values (${taskId}, ${phone}, ${state}, ${assignedTo}, ${h.app.ctx.clock.now()}) returning id`,
  );
  return Number(row?.id);
}

/** The integer columns of task_numbers (PostgreSQL gives its bigint ones as text on a raw read). */
const NUMBER_COLUMNS = new Set([
  'id',
  'task_id',
  'result_detail',
  'agent_misses',
  'retries',
  'retry_at',
  'updated_at',
]);

/** A task number's whole row, named as the schema names it, on either store. */
export async function numberRow(h: CallHarness, id: number) {
  const [r] = await h.exec<Record<string, unknown>>(sql`select * from task_numbers where id = ${id}`);
  if (!r) return undefined;
  const row = Object.fromEntries(
    Object.entries(r).map(([k, v]) => [
      k.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()),
      NUMBER_COLUMNS.has(k) && v !== null ? Number(v) : v,
    ]),
  );
  return row as unknown as TaskNumberRow;
}

export const logOf = (h: CallHarness, callId: string) => h.app.ctx.repos.callLogs.get(callId);

/** Every call log (of the task), oldest first. */
export async function allLogs(h: CallHarness, taskId?: number) {
  const { items } = await h.app.ctx.repos.callLogs.list(taskId === undefined ? {} : { taskId }, {
    offset: 0,
    limit: 10_000,
  });
  return items.sort((a, b) => a.id - b.id);
}

export const logsOfTask = (h: CallHarness, taskId: number) => allLogs(h, taskId);

/** The first value the async probe gives within the time (the emulator's waitFor takes synchronous probes). */
export const waitFor = <T>(probe: () => Promise<T | undefined | false | null>, timeoutMs = 5000) =>
  eventually(async () => (await probe()) ?? undefined, timeoutMs);

export const agentState = (h: CallHarness, username: string) =>
  h.app.ctx.services.agents.get(username)?.state;

/** The agent's STOMP session, subscribed to its notify, invite, call and bye topics. */
export async function agentSession(
  h: CallHarness,
  projectCode: string,
  username: string,
): Promise<AppStompClient> {
  const pw = (await h.app.ctx.repos.extensions.byUsername(username))?.password ?? '';
  const stomp = await connectStomp(h.baseUrl, username, pw);
  stomp.subscribe(`/topic/notify/${projectCode}/${username}`);
  for (const topic of ['invite', 'call', 'bye']) stomp.subscribe(`/topic/${topic}/${username}`);
  // A round trip, so the subscriptions are in place before the test acts.
  await new Promise((r) => setTimeout(r, 50));
  return stomp;
}

export type Notice = { msgType: string; data: string };
