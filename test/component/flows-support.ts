// Fixtures shared by the flows-* component tests: a gateway on a task, numbers, call logs, and an agent's STOMP
// session with the topics it listens to.
import { eq } from 'drizzle-orm';
import { gatewayFields } from '../support/gateways.js';
import { gatewaysRepo } from '../../src/db/repos/gateways.js';
import { callLogs, taskGateways, taskNumbers, tasks } from '../../src/db/schema.js';
import type { CallHarness } from '../support/calls.js';
import { connectStomp, type AppStompClient } from '../support/stomp-client.js';

export function gatewayFor(
  h: CallHarness,
  taskId: number,
  gwCode: string,
  opts: { lines?: number; originationCallId?: string; realm?: string } = {},
) {
  const now = h.app.ctx.clock.now();
  // Written straight to the SQLite store, synchronously, as the other fixtures here.
  const gw = gatewaysRepo(h.store.db).insert(
    gatewayFields({
      gwCode,
      realm: opts.realm ?? '192.0.2.10:5060',
      expectCount: opts.lines ?? 5,
      originationCallId: opts.originationCallId ?? '02100000000',
      mobilePhonePrefix: '0',
    }),
    now,
  );
  h.store.db
    .insert(taskGateways)
    .values({ taskId, gatewayId: gw.id, concurrency: opts.lines ?? 5 })
    .run();
  return gw;
}

export function setTask(h: CallHarness, taskId: number, fields: Partial<typeof tasks.$inferInsert>): void {
  h.store.db.update(tasks).set(fields).where(eq(tasks.id, taskId)).run();
}

export function addNumber(
  h: CallHarness,
  taskId: number,
  phone: string,
  state: 'pending' | 'preview' = 'pending',
  assignedTo: string | null = null,
): number {
  return h.store.db
    .insert(taskNumbers)
    .values({ taskId, phone, state, assignedTo, updatedAt: h.app.ctx.clock.now() })
    .returning()
    .get().id;
}

export const numberRow = (h: CallHarness, id: number) =>
  h.store.db.select().from(taskNumbers).where(eq(taskNumbers.id, id)).get();

export const logOf = (h: CallHarness, callId: string) =>
  h.store.db.select().from(callLogs).where(eq(callLogs.callUuid, callId)).get();

export const logsOfTask = (h: CallHarness, taskId: number) =>
  h.store.db.select().from(callLogs).where(eq(callLogs.taskId, taskId)).all();

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
