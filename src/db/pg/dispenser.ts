// Number dispensing on PostgreSQL: the counterpart of src/db/repos/numbers.ts (numberStore), the same methods returning
// Promises. SQLite serialises writers, so there a transaction alone keeps two dispensers apart; PostgreSQL runs them
// side by side, so every hand-out reads its pending rows with SELECT … FOR UPDATE SKIP LOCKED: a row another
// dispenser (another tick, another agent, another server) is taking is locked, and is skipped rather than waited
// for, so two dispensers never take the same number and never queue behind each other.
import { and, asc, eq, inArray, isNull, lt, lte, or, sql, type Placeholder } from 'drizzle-orm';
import { TaskStatus } from '../../core/codes.js';
import type { DialledNumber, DispensedNumber, Fence, Screen } from '../../dialer/number-source.js';
import {
  agentMissSettle,
  blockedReasons,
  dncKeys,
  recoveredNumber,
  SCAN_BATCH,
  SCAN_LIMIT,
  skipLog,
  skipNote,
  type AgentMissLog,
  type Recovery,
} from '../repos/number-rules.js';
import { preparedOnce } from '../repos/prepared.js';
import { leaseIsCurrent } from './leases.js';
import { preparedSql } from './prepared.js';
import { pgDncRepo } from './repos/dnc.js';
import type { PgDb } from './open.js';
import { changed, first, type PgExecutor, type PgTx } from './rows.js';
import { callLogs, projects, taskNumbers, tasks } from './schema.js';

/**
 * Pending rows of the task after `after`, as a range of the (task_id, state, id) index. Written as a row comparison
 * because the planner otherwise walks the primary key from the task's first number, filtering out every number
 * already dialled: its statistics cannot see that those all sit at the low ids (a batch cost 10 ms half-way through a
 * 100,000-number task, against well under 1 ms on the index range).
 */
const pendingAfter = (taskId: number | Placeholder, after: number) =>
  sql`(${taskNumbers.taskId}, ${taskNumbers.state}, ${taskNumbers.id}) > (${taskId}, 'pending', ${after})`;

/** Numbers closed by a do-not-call list, with the call logs that say why (issue 14.6), in the caller's transaction. */
async function closeBlocked(
  tx: PgTx,
  rows: { row: { id: number; phone: string }; reason: string }[],
  task: Screen['task'],
  now: number,
) {
  for (const { row, reason } of rows)
    await tx
      .update(taskNumbers)
      .set({ state: 'done', note: skipNote(reason), retryAt: null, callUuid: null, updatedAt: now })
      .where(eq(taskNumbers.id, row.id));
  if (rows.length)
    await tx.insert(callLogs).values(rows.map(({ row, reason }) => skipLog(task, row.phone, reason, now)));
}

/** phone → why it must not be dialled (a list change commits before or after this statement). */
async function blocked(
  dnc: ReturnType<typeof pgDncRepo>,
  projectCode: string | null,
  phones: string[],
): Promise<Map<string, string>> {
  const keys = dncKeys(phones);
  return blockedReasons(phones, keys, await dnc.listed(projectCode, keys));
}

/**
 * Where taken rows go. `fence` (issue 20): the rows record its epoch, and the statement takes nothing unless the
 * instance still holds the project's lease at that epoch by the database's clock; the lease row is locked FOR SHARE
 * by the same statement, so a take of the project waits until the numbers are committed under the old epoch (and
 * the new owner's take-over recovery sees them).
 */
type Target = { state: 'dialing' | 'preview'; assignedTo: string | null; fence?: Fence };
type Taken = DispensedNumber & { callId?: string };

/** The rows a take moves: the first `limit` due rows of the task, or those of `ids` still due. */
type Pick = { kind: 'first'; limit: number } | { kind: 'still'; ids: number[] };

/**
 * One statement: moves to `target` the due pending rows chosen by `pick` that no other transaction holds, locking
 * them FOR UPDATE SKIP LOCKED, and returns them oldest first. Dialled numbers get the uuid of their call in the same
 * statement (gen_random_uuid), so nothing is written per originate. Its text depends only on the pick's kind, the
 * target state and whether a fence applies: built once per shape and run as a named statement (issue 21), on the
 * store's connection or, prepared by name again (node-postgres parses a name once per connection), in a transaction.
 */
function takeStatement(db: PgExecutor, shape: { pick: Pick['kind']; dial: boolean; fenced: boolean }) {
  const taskId = sql.placeholder('taskId');
  const now = sql.placeholder('now');
  const pick =
    shape.pick === 'first'
      ? sql`select ${taskNumbers.id} from ${taskNumbers} where ${dueOf(taskId, now)} and ${pendingAfter(taskId, 0)}
          order by ${taskNumbers.taskId}, ${taskNumbers.state}, ${taskNumbers.id} limit ${sql.placeholder('limit')}`
      : sql`select ${taskNumbers.id} from ${taskNumbers}
          where ${taskNumbers.id} = any(${sql.placeholder('ids')}::integer[]) and ${dueOf(taskId, now)}`;
  const epoch = sql.placeholder('epoch');
  const fence = leaseIsCurrent({
    projectCode: sql.placeholder('leaseProject'),
    instanceId: sql.placeholder('leaseOwner'),
    epoch,
  });
  return preparedSql<{ id: number; phone: string; retries: number; call_uuid: string | null }>(
    db,
    sql`with picked as materialized (${pick} for update skip locked)
        update ${taskNumbers} set state = ${sql.placeholder('state')}, assigned_to = ${sql.placeholder('assignedTo')},
          retry_at = null, epoch = ${epoch},
          updated_at = ${now}${shape.dial ? sql`, call_uuid = gen_random_uuid()::text` : sql``}
        from picked where ${taskNumbers.id} = picked.id${shape.fenced ? sql` and ${fence}` : sql``}
        returning ${taskNumbers.id}, ${taskNumbers.phone}, ${taskNumbers.retries}, ${taskNumbers.callUuid}`,
  );
}

/** The take statements of one executor, per shape. */
type TakeStatements = Map<string, ReturnType<typeof takeStatement>>;

async function takeRows(
  db: PgExecutor,
  statements: TakeStatements,
  taskId: number,
  pick: Pick,
  target: Target,
  now: number,
): Promise<Taken[]> {
  const dial = target.state === 'dialing';
  const { fence } = target;
  const shape = { pick: pick.kind, dial, fenced: fence !== undefined };
  const statement = preparedOnce(statements, `${shape.pick}/${target.state}/${shape.fenced}`, () =>
    takeStatement(db, shape),
  );
  const rows = await statement.execute({
    taskId,
    now,
    ...(pick.kind === 'first' ? { limit: pick.limit } : { ids: pick.ids }),
    state: target.state,
    assignedTo: target.assignedTo,
    epoch: fence?.epoch ?? 0,
    ...(fence && { leaseProject: fence.projectCode, leaseOwner: fence.instanceId }),
  });
  return rows.rows
    .map((r) => ({
      id: Number(r.id),
      phone: r.phone,
      retries: Number(r.retries),
      ...(dial && r.call_uuid ? { callId: r.call_uuid } : {}),
    }))
    .sort((a, b) => a.id - b.id);
}

/** A row taken for dialling carries its call's uuid (takeRows sets it); one without would be a bug. */
function dialled(r: Taken): DialledNumber {
  if (r.callId === undefined) throw new Error(`number ${r.id} was dispensed without a call uuid`);
  return { id: r.id, phone: r.phone, retries: r.retries, callId: r.callId };
}

/** Due pending rows of the task (the condition every take re-checks under its lock). */
const dueOf = (taskId: number | Placeholder, now: number | Placeholder) =>
  sql`${taskNumbers.taskId} = ${taskId} and ${taskNumbers.state} = 'pending'
      and (${taskNumbers.retryAt} is null or ${taskNumbers.retryAt} <= ${now})`;

/**
 * Moves up to n due pending numbers of the task to `target` and returns them, oldest first (as numbers.ts's take).
 * Only the rows taken (and those closed) are locked, FOR UPDATE SKIP LOCKED, so dispensers side by side never take
 * one number twice and never hold back from each other more than they take.
 *
 * The common case costs two statements and no transaction: one takes the first n due rows, one looks their phones
 * up in the do-not-call lists; the few that are listed are closed (with their call logs) in a transaction, and more
 * are taken in their place. They were 'dialing' for that moment, never dialled: a crash then leaves them to the
 * start-up recovery, which closes them without a call. With per-number calling windows (callableNow), the rows are
 * read first and decided on, so a number outside its window is never taken.
 */
async function take(
  db: PgDb,
  store: { dnc: ReturnType<typeof pgDncRepo>; statements: TakeStatements },
  taskId: number,
  n: number,
  target: Target,
  now: number,
  screen?: Screen,
): Promise<Taken[]> {
  if (n <= 0) return [];
  if (screen?.callableNow) return takeInWindow(db, taskId, n, target, now, screen);
  const picked: Taken[] = [];
  for (let scanned = 0; picked.length < n && scanned < SCAN_LIMIT;) {
    const want = n - picked.length;
    const rows = await takeRows(db, store.statements, taskId, { kind: 'first', limit: want }, target, now);
    scanned += rows.length;
    const listed = screen
      ? await blocked(
          store.dnc,
          screen.projectCode,
          rows.map((r) => r.phone),
        )
      : new Map<string, string>();
    const closed = rows.flatMap((row) => {
      const reason = listed.get(row.phone);
      return reason === undefined ? [] : [{ row, reason }];
    });
    if (screen && closed.length) await db.transaction((tx) => closeBlocked(tx, closed, screen.task, now));
    picked.push(...rows.filter((r) => !listed.has(r.phone)));
    if (rows.length < want) break;
  }
  return picked;
}

/**
 * Per-number windows: reads a batch of due rows unlocked, decides (listed numbers are closed whatever their window,
 * numbers outside theirs stay pending), then takes what it decided on in one statement, in one transaction.
 */
function takeInWindow(
  db: PgDb,
  taskId: number,
  n: number,
  target: Target,
  now: number,
  screen: Screen,
): Promise<Taken[]> {
  return db.transaction(async (tx) => {
    // A transaction's own executor: its statements are its own (prepared by name on its connection).
    const statements: TakeStatements = new Map();
    const picked: Taken[] = [];
    let after = 0;
    for (let scanned = 0; picked.length < n && scanned < SCAN_LIMIT;) {
      const rows = await tx
        .select({ id: taskNumbers.id, phone: taskNumbers.phone, retries: taskNumbers.retries })
        .from(taskNumbers)
        .where(and(sql`${dueOf(taskId, now)}`, pendingAfter(taskId, after)))
        .orderBy(asc(taskNumbers.taskId), asc(taskNumbers.state), asc(taskNumbers.id))
        .limit(SCAN_BATCH);
      if (rows.length === 0) break;
      scanned += rows.length;
      const listed = await blocked(
        pgDncRepo(tx),
        screen.projectCode,
        rows.map((r) => r.phone),
      );
      const closing: { row: DispensedNumber; reason: string }[] = [];
      const wanted: number[] = [];
      let room = n - picked.length;
      for (const r of rows) {
        if (room === 0) break;
        after = r.id;
        const reason = listed.get(r.phone);
        if (reason !== undefined) closing.push({ row: r, reason });
        else if (screen.callableNow?.(r.phone) !== false) {
          wanted.push(r.id);
          room--;
        }
      }
      const mine = await lockPending(
        tx,
        closing.map((c) => c.row.id),
      );
      await closeBlocked(
        tx,
        closing.filter((c) => mine.has(c.row.id)),
        screen.task,
        now,
      );
      if (wanted.length)
        picked.push(...(await takeRows(tx, statements, taskId, { kind: 'still', ids: wanted }, target, now)));
    }
    return picked;
  });
}

/** Of these rows, the ones still pending that no other transaction holds, now locked by this one. */
async function lockPending(tx: PgTx, ids: number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await tx
    .select({ id: taskNumbers.id })
    .from(taskNumbers)
    .where(and(inArray(taskNumbers.id, ids), eq(taskNumbers.state, 'pending')))
    .for('update', { skipLocked: true });
  return new Set(rows.map((r) => r.id));
}

export function pgNumberStore(db: PgDb) {
  // One for the store's life: its lookup and its take statements are prepared once (a transaction's own, in
  // takeInWindow, are per transaction).
  const takes = { dnc: pgDncRepo(db), statements: new Map() as TakeStatements };
  /** One number's row, locked for the rest of the transaction (a settle and a retry must not interleave). */
  const lockedRow = async (tx: PgTx, id: number) =>
    first(await tx.select().from(taskNumbers).where(eq(taskNumbers.id, id)).for('update'));
  return {
    /** The task has a pending number that is due now (a retry's time has come, or none was set). */
    hasDue: async (taskId: number, now: number): Promise<boolean> =>
      first(
        await db
          .select({ id: taskNumbers.id })
          .from(taskNumbers)
          .where(
            and(
              eq(taskNumbers.taskId, taskId),
              eq(taskNumbers.state, 'pending'),
              or(isNull(taskNumbers.retryAt), lte(taskNumbers.retryAt, now)),
            ),
          )
          .limit(1),
      ) !== undefined,

    /**
     * The dialer's batch: pending → dialing, each with the uuid of the call that will dial it (on its row too), under
     * the fence's epoch: nothing once its lease is not current (Target).
     */
    dispenseNumbers: async (
      taskId: number,
      n: number,
      now: number,
      screen?: Screen,
      fence?: Fence,
    ): Promise<DialledNumber[]> =>
      (await take(db, takes, taskId, n, { state: 'dialing', assignedTo: null, fence }, now, screen)).map(
        dialled,
      ),

    /** Preview (spec 一.23): pending → preview, held by one agent. */
    reservePreview: (
      taskId: number,
      n: number,
      username: string,
      now: number,
      screen?: Screen,
    ): Promise<DispensedNumber[]> =>
      take(db, takes, taskId, n, { state: 'preview', assignedTo: username }, now, screen),

    /** An agent-first number whose agent never rang goes back to pending (it was not dialled, so no call uuid). */
    async giveBack(id: number, now: number): Promise<void> {
      await db
        .update(taskNumbers)
        .set({ state: 'pending', callUuid: null, updatedAt: now })
        .where(eq(taskNumbers.id, id));
    },

    /** Numbers 'dialing' for the project under an epoch older than `below` (left by its previous owner). */
    dialingInProject: (
      projectCode: string,
      below: number,
    ): Promise<{ id: number; callUuid: string | null }[]> =>
      db
        .select({ id: taskNumbers.id, callUuid: taskNumbers.callUuid })
        .from(taskNumbers)
        .innerJoin(tasks, eq(tasks.id, taskNumbers.taskId))
        .innerJoin(projects, eq(projects.id, tasks.projectId))
        .where(
          and(
            eq(projects.projectCode, projectCode),
            eq(taskNumbers.state, 'dialing'),
            lt(taskNumbers.epoch, below),
          ),
        ),

    /** Of these 'dialing' numbers, those with no call recorded were never originated: back to pending. */
    async releaseUnoriginated(ids: number[], now: number): Promise<number> {
      if (ids.length === 0) return 0;
      return changed(
        await db
          .update(taskNumbers)
          .set({ state: 'pending', updatedAt: now })
          .where(
            and(inArray(taskNumbers.id, ids), eq(taskNumbers.state, 'dialing'), isNull(taskNumbers.callUuid)),
          ),
      );
    },

    /** The number's attempt is over (dialing or preview → done). */
    async settleNumber(
      id: number,
      outcome: { callUuid: string; resultDetail: number },
      now: number,
    ): Promise<void> {
      await db
        .update(taskNumbers)
        .set({
          state: 'done',
          callUuid: outcome.callUuid || null,
          resultDetail: outcome.resultDetail,
          updatedAt: now,
        })
        .where(eq(taskNumbers.id, id));
    },

    /** The numbers being dialled (id and call uuid), e.g. those a previous run left at start-up. */
    dialing: (): Promise<{ id: number; callUuid: string | null }[]> =>
      db
        .select({ id: taskNumbers.id, callUuid: taskNumbers.callUuid })
        .from(taskNumbers)
        .where(eq(taskNumbers.state, 'dialing')),

    /** A call that outlived the process that dialled it ended: its number, if still 'dialing', is done. */
    async settleByCall(callUuid: string, resultDetail: number, now: number): Promise<void> {
      await db
        .update(taskNumbers)
        .set({ state: 'done', resultDetail, updatedAt: now })
        .where(and(eq(taskNumbers.callUuid, callUuid), eq(taskNumbers.state, 'dialing')));
    },

    /** The task's retry rules give a done number another attempt, unless its task has ended (issue 14.8). */
    retryLater: (id: number, at: number, now: number): Promise<boolean> =>
      db.transaction(async (tx) => {
        const row = await lockedRow(tx, id);
        if (!row || row.state !== 'done') return false;
        const task = first(
          await tx.select({ status: tasks.status }).from(tasks).where(eq(tasks.id, row.taskId)),
        );
        if (!task || task.status === TaskStatus.ended) return false;
        await tx
          .update(taskNumbers)
          .set({ state: 'pending', retries: row.retries + 1, retryAt: at, updatedAt: now })
          .where(eq(taskNumbers.id, id));
        return true;
      }),

    /** Agent-first (issue 14.3): below the cap back to pending for another agent, at the cap settled as 32. */
    agentMissed: (id: number, cap: number, log: AgentMissLog, now: number): Promise<'pending' | 'settled'> =>
      db.transaction(async (tx) => {
        const row = await lockedRow(tx, id);
        if (!row || row.state !== 'dialing') return 'settled';
        const misses = row.agentMisses + 1;
        if (misses < cap) {
          await tx
            .update(taskNumbers)
            .set({ state: 'pending', agentMisses: misses, updatedAt: now })
            .where(eq(taskNumbers.id, id));
          return 'pending';
        }
        const settle = agentMissSettle(row, misses, log, now);
        await tx.update(taskNumbers).set(settle.number).where(eq(taskNumbers.id, id));
        await tx
          .insert(callLogs)
          .values(settle.log)
          // A CDR of the agent's leg may have created the row already: the outcome is ours to set.
          .onConflictDoUpdate({ target: callLogs.callUuid, set: settle.conflictSet });
        return 'settled';
      }),

    /** An agent gives back previewed numbers it did not call (all of the task's, or the given phones). */
    async releasePreview(taskId: number, username: string, now: number, phones?: string[]): Promise<number> {
      const conds = [
        eq(taskNumbers.taskId, taskId),
        eq(taskNumbers.state, 'preview'),
        eq(taskNumbers.assignedTo, username),
      ];
      if (phones) conds.push(inArray(taskNumbers.phone, phones));
      return changed(
        await db
          .update(taskNumbers)
          .set({ state: 'pending', assignedTo: null, updatedAt: now })
          .where(and(...conds)),
      );
    },

    /**
     * After a crash, numbers left 'dialing' whose call FreeSWITCH no longer has are closed with resultDetail 5
     * (未接通), never put back to pending (numbers.ts says why); those still live stay for their call's outcome.
     */
    recoverAtStartup: (
      now: number,
      isCallLive: (callUuid: string) => boolean,
      onlyIds?: ReadonlySet<number>,
    ): Promise<Recovery> =>
      db.transaction(async (tx) => {
        const rows = (
          await tx
            .select({ id: taskNumbers.id, phone: taskNumbers.phone, callUuid: taskNumbers.callUuid })
            .from(taskNumbers)
            .where(eq(taskNumbers.state, 'dialing'))
            .orderBy(asc(taskNumbers.id))
            .for('update')
        ).filter((r) => !onlyIds || onlyIds.has(r.id));
        const kept = rows.filter((r) => r.callUuid && isCallLive(r.callUuid));
        const closed = rows.filter((r) => !kept.includes(r));
        if (closed.length)
          await tx
            .update(taskNumbers)
            .set(recoveredNumber(now))
            .where(
              inArray(
                taskNumbers.id,
                closed.map((r) => r.id),
              ),
            );
        const plain = (r: { id: number; phone: string }) => ({ id: r.id, phone: r.phone });
        return { kept: kept.map(plain), closed: closed.map(plain) };
      }),
  };
}
