// Call logs (spec 一.10, 一.13) and the recording upload queue, as src/db/repos/call-logs.ts. The flow and the CDR
// may write one call's row at the same moment from two connections: each write locks the row (SELECT … FOR UPDATE)
// before reading what it merges with, and a row that does not exist yet is created with INSERT … ON CONFLICT DO
// NOTHING, so the loser of that race re-reads the winner's row and merges instead of failing on the unique call id.
import { and, asc, count, desc, eq, gt, gte, inArray, isNull, lt, lte, sql, type SQL } from 'drizzle-orm';
import {
  mergeCdrFields,
  missingOnly,
  type CallLogFilter,
  type CallLogFields,
} from '../../repos/call-logs.js';
import { first, one, type PgExecutor, type PgTx, transaction } from '../rows.js';
import { callLogs, projects, tasks, uploads } from '../schema.js';

type CallLog = typeof callLogs.$inferSelect;
type RecordingUpload = typeof uploads.$inferSelect;

interface Paging {
  offset: number;
  limit: number;
}

const locked = async (tx: PgTx, callUuid: string): Promise<CallLog | undefined> =>
  first(await tx.select().from(callLogs).where(eq(callLogs.callUuid, callUuid)).for('update'));

const definedOnly = (fields: CallLogFields): CallLogFields =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as CallLogFields;

/**
 * Writes the fields `decide` picks given the row as it is (undefined: no row yet), in the caller's transaction.
 * Returns the row after the write, or undefined when `decide` says there is nothing to create.
 */
export async function write(
  tx: PgTx,
  callUuid: string,
  decide: (existing: CallLog | undefined) => CallLogFields | undefined,
  now: number,
): Promise<CallLog | undefined> {
  let existing = await locked(tx, callUuid);
  if (!existing) {
    const fields = decide(undefined);
    if (!fields) return undefined;
    const values = definedOnly(fields);
    const inserted = first(
      await tx
        .insert(callLogs)
        .values({
          ...values,
          destinationNumber: values.destinationNumber ?? '',
          callUuid,
          addTime: now,
          updateTime: now,
        })
        .onConflictDoNothing({ target: callLogs.callUuid })
        .returning(),
    );
    if (inserted) return inserted;
    // Another connection created the row between our read and our insert: merge with what it wrote.
    existing = await locked(tx, callUuid);
    if (!existing) throw new Error(`call log ${callUuid} vanished while being written`);
  }
  const patch = definedOnly(decide(existing) ?? {});
  if (Object.keys(patch).length === 0) return existing;
  return one(
    await tx
      .update(callLogs)
      .set({ ...patch, updateTime: now })
      .where(eq(callLogs.id, existing.id))
      .returning(),
  );
}

function filterConditions(filter: CallLogFilter): SQL[] {
  const conds: SQL[] = [];
  if (filter.projectId !== undefined) conds.push(eq(callLogs.projectId, filter.projectId));
  if (filter.taskId !== undefined) conds.push(eq(callLogs.taskId, filter.taskId));
  if (filter.callTaskCode !== undefined) conds.push(eq(callLogs.callTaskCode, filter.callTaskCode));
  const time = filter.timeField === 'end' ? callLogs.endTimestamp : callLogs.startTimestamp;
  if (filter.beginTime !== undefined) conds.push(gte(time, filter.beginTime));
  if (filter.endTime !== undefined) conds.push(lte(time, filter.endTime));
  return conds;
}

async function countWhere(db: PgExecutor, where: SQL | undefined): Promise<number> {
  return first(await db.select({ n: count() }).from(callLogs).where(where))?.n ?? 0;
}

export function pgCallLogsRepo(db: PgExecutor) {
  const get = async (callUuid: string): Promise<CallLog | undefined> =>
    first(await db.select().from(callLogs).where(eq(callLogs.callUuid, callUuid)));
  const setWhereCall = async (callUuid: string, fields: CallLogFields, now: number): Promise<void> => {
    await db
      .update(callLogs)
      .set({ ...fields, updateTime: now })
      .where(eq(callLogs.callUuid, callUuid));
  };
  return {
    get,
    byId: async (id: number): Promise<CallLog | undefined> =>
      first(await db.select().from(callLogs).where(eq(callLogs.id, id))),

    /** The flow's write: creates the row or sets the given fields (undefined ones are left alone). */
    upsert: async (callUuid: string, fields: CallLogFields, now: number): Promise<CallLog> =>
      (await transaction(db, (tx) => write(tx, callUuid, () => fields, now))) as CallLog,

    /** The CDR's write (see mergeCdrFields), with cdrReceived set, merged with the row as it is under lock. */
    mergeCdr: async (callUuid: string, fields: CallLogFields, now: number): Promise<CallLog> =>
      (await transaction(db, (tx) =>
        write(tx, callUuid, (existing) => mergeCdrFields(existing, { ...fields, cdrReceived: 1 }), now),
      )) as CallLog,

    /** Fills fields only where the row has none (agent legs adding the agent's extension, a recording path). */
    fillMissing: (callUuid: string, fields: CallLogFields, now: number): Promise<CallLog | undefined> =>
      transaction(db, (tx) =>
        write(tx, callUuid, (existing) => existing && missingOnly(existing, fields), now),
      ),

    /** As the SQLite one: fill where the row has nothing, or create it; decided under the row's lock. */
    async fillOrCreate(
      callUuid: string,
      fill: CallLogFields,
      create: CallLogFields,
      now: number,
    ): Promise<{ created: boolean }> {
      let created = false;
      await transaction(db, (tx) =>
        write(
          tx,
          callUuid,
          (existing) => {
            // Called again with the row when another writer created it between our read and our insert.
            created = !existing;
            return existing ? missingOnly(existing, fill) : { ...fill, ...create };
          },
          now,
        ),
      );
      return { created };
    },

    /** The recording named on the call is gone (FreeSWITCH discarded it as empty): stop naming it. */
    clearRecording: (callUuid: string, now: number): Promise<void> =>
      setWhereCall(callUuid, { recordFile: null }, now),

    setQiniuRef: (callUuid: string, ref: string, now: number): Promise<void> =>
      setWhereCall(callUuid, { recordFileQiniu: ref }, now),

    /** Task and project ids of the codes a leg carried (the active project of that code). */
    async resolveCodes(codes: {
      taskCode?: string | null;
      projectCode?: string | null;
    }): Promise<{ taskId: number | null; projectId: number | null }> {
      const task = codes.taskCode
        ? first(
            await db
              .select({ id: tasks.id, projectId: tasks.projectId })
              .from(tasks)
              .where(eq(tasks.callTaskCode, codes.taskCode)),
          )
        : undefined;
      if (task) return { taskId: task.id, projectId: task.projectId };
      const project = codes.projectCode
        ? first(
            await db
              .select({ id: projects.id })
              .from(projects)
              .where(eq(projects.projectCode, codes.projectCode))
              .orderBy(desc(projects.id))
              .limit(1),
          )
        : undefined;
      return { taskId: null, projectId: project?.id ?? null };
    },

    /** spec 一.10: newest first. */
    async list(filter: CallLogFilter, paging: Paging): Promise<{ total: number; items: CallLog[] }> {
      const conds = filterConditions(filter);
      const where = conds.length ? and(...conds) : undefined;
      const total = await countWhere(db, where);
      const items = await db
        .select()
        .from(callLogs)
        .where(where)
        .orderBy(desc(callLogs.id))
        .limit(paging.limit)
        .offset(paging.offset);
      return { total, items };
    },

    /**
     * One step of the CSV export (issue 17.8): matching call logs with ids in [`fromId`, `beforeId`), newest first,
     * at most `limit`. PostgreSQL's planner weighs the id range against the filter indexes itself (SQLite needed
     * its filter columns kept off their indexes, see the SQLite repository).
     */
    exportStep: (
      filter: CallLogFilter,
      fromId: number,
      beforeId: number,
      limit: number,
    ): Promise<CallLog[]> =>
      db
        .select()
        .from(callLogs)
        .where(and(gte(callLogs.id, fromId), lt(callLogs.id, beforeId), ...filterConditions(filter)))
        .orderBy(desc(callLogs.id))
        .limit(limit),

    /** The highest call-log id, where an export starts (0 when there is none). */
    maxId: async (): Promise<number> =>
      // max() of a bigint column comes back as text from node-postgres.
      Number(first(await db.select({ id: sql<string | null>`max(${callLogs.id})` }).from(callLogs))?.id ?? 0),

    /** spec 一.13 (recall): a task's calls that ended with one of `resultDetails`, after `afterId`, oldest first. */
    async listByResult(
      taskId: number,
      resultDetails: readonly number[],
      afterId: number,
      paging: Paging,
    ): Promise<{ total: number; items: CallLog[] }> {
      if (resultDetails.length === 0) return { total: 0, items: [] };
      const where = and(
        eq(callLogs.taskId, taskId),
        inArray(callLogs.resultDetail, [...resultDetails]),
        gt(callLogs.id, afterId),
      );
      const total = await countWhere(db, where);
      const items = await db
        .select()
        .from(callLogs)
        .where(where)
        .orderBy(asc(callLogs.id))
        .limit(paging.limit)
        .offset(paging.offset);
      return { total, items };
    },
  };
}

/** The `uploads` table: recordings waiting for (or retrying) their upload. Rows are kept as the upload history. */
export function pgRecordingUploadsRepo(db: PgExecutor) {
  const set = async (id: number, fields: Partial<RecordingUpload>): Promise<void> => {
    await db.update(uploads).set(fields).where(eq(uploads.id, id));
  };
  return {
    /**
     * Queues a recording once per call; a repeated CDR finds the existing row. The call id has no unique index, so
     * two CDR deliveries at once are serialised on a transaction lock keyed by it.
     */
    enqueue: (
      row: { callUuid: string; filePath: string; key: string },
      now: number,
    ): Promise<RecordingUpload> =>
      transaction(db, async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${row.callUuid}, 0))`);
        const existing = first(await tx.select().from(uploads).where(eq(uploads.callUuid, row.callUuid)));
        if (existing) return existing;
        return one(
          await tx
            .insert(uploads)
            .values({ ...row, attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now })
            .returning(),
        );
      }),
    get: async (id: number): Promise<RecordingUpload | undefined> =>
      first(await db.select().from(uploads).where(eq(uploads.id, id))),
    byCall: async (callUuid: string): Promise<RecordingUpload | undefined> =>
      first(await db.select().from(uploads).where(eq(uploads.callUuid, callUuid))),
    due: (now: number, limit: number): Promise<RecordingUpload[]> =>
      db
        .select()
        .from(uploads)
        .where(and(isNull(uploads.doneAt), lte(uploads.nextAttemptAt, now)))
        .orderBy(asc(uploads.nextAttemptAt), asc(uploads.id))
        .limit(limit),
    /** The earliest time a pending upload is due, or null when nothing is pending. */
    nextDueAt: async (): Promise<number | null> =>
      first(
        await db
          .select({ at: uploads.nextAttemptAt })
          .from(uploads)
          .where(isNull(uploads.doneAt))
          .orderBy(asc(uploads.nextAttemptAt))
          .limit(1),
      )?.at ?? null,
    succeeded: (id: number, now: number): Promise<void> =>
      set(id, { doneAt: now, lastError: null, updatedAt: now }),
    failed: (
      id: number,
      attempts: number,
      error: string,
      nextAttemptAt: number,
      now: number,
    ): Promise<void> => set(id, { attempts, lastError: error, nextAttemptAt, updatedAt: now }),
  };
}
