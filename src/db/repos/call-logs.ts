// Call logs (spec 一.10, 一.13) and the recording upload queue behind them. Two writers share a row, keyed by the
// customer leg's call id (cc_call_id, which the dialer also uses as the leg's origination_uuid): the flow, which
// knows the result, the agent and the recording path; and mod_xml_cdr, which knows FreeSWITCH's durable times,
// billsec and causes. Whichever arrives first creates the row; neither erases what the other wrote.
import { and, asc, count, desc, eq, gt, gte, inArray, isNull, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Async } from './async.js';
import type { Db } from '../database.js';
import { callLogs, projects, tasks, uploads } from '../schema.js';
import { transactionOf } from './transaction.js';

export type CallLog = typeof callLogs.$inferSelect;
export type CallLogFields = Partial<Omit<CallLog, 'id' | 'callUuid' | 'addTime' | 'updateTime'>>;
type RecordingUpload = typeof uploads.$inferSelect;

/** What FreeSWITCH measured: a CDR's non-null value replaces the flow's estimate. */
const CDR_OWNED = [
  'startTimestamp',
  'answerTimestamp',
  'endTimestamp',
  'duration',
  'billsec',
  'hangupCause',
  'sipTermStatus',
  'hangupDisposition',
  // Derived from billsec, so it follows whoever owns billsec.
  'priceCal',
] as const satisfies readonly (keyof CallLogFields)[];

/**
 * The fields a CDR writes onto a row: its measurements where it has them, everything else only where the row has
 * nothing yet (the flow's result, agent, task and recording path win). Pure, so the rule is tested on its own.
 */
export function mergeCdrFields(existing: CallLog | undefined, cdr: CallLogFields): CallLogFields {
  const out: CallLogFields = {};
  const set = out as Record<string, unknown>;
  const have = (existing ?? {}) as Record<string, unknown>;
  const owned: readonly string[] = CDR_OWNED;
  for (const [k, v] of Object.entries(cdr)) {
    if (v === undefined || v === null) continue;
    if (owned.includes(k) || k === 'cdrReceived' || have[k] === undefined || have[k] === null) set[k] = v;
  }
  return out;
}

/** The fields of `fields` the row has no value for (an agent leg adding what it knows). Shared by both stores. */
export function missingOnly(existing: CallLog, fields: CallLogFields): CallLogFields {
  return Object.fromEntries(
    Object.entries(fields).filter(
      ([k, v]) => v !== undefined && v !== null && (existing as Record<string, unknown>)[k] === null,
    ),
  ) as CallLogFields;
}

export interface CallLogFilter {
  projectId?: number;
  taskId?: number;
  callTaskCode?: string;
  /** Inclusive bounds in epoch ms on the start (queryTimeType 1) or end (2) of the call. */
  beginTime?: number;
  endTime?: number;
  timeField?: 'start' | 'end';
}

interface Paging {
  offset: number;
  limit: number;
}

const PREPARED_FIELD_SETS = 64;

/** The filters an export statement tests, by name; one statement is prepared per combination. */
const EXPORT_FILTERS = ['projectId', 'taskId', 'callTaskCode', 'beginTime', 'endTime'] as const;
const exportParams = (f: CallLogFilter) =>
  Object.fromEntries(EXPORT_FILTERS.filter((k) => f[k] !== undefined).map((k) => [k, f[k]]));

export function callLogsRepo(db: Db) {
  const transaction = transactionOf(db);
  // Prepared once: every call's outcome and every CDR reads its row first (issue 13).
  const byUuid = db
    .select()
    .from(callLogs)
    .where(eq(callLogs.callUuid, sql.placeholder('uuid')))
    .prepare();
  const get = (callUuid: string): CallLog | undefined => byUuid.get({ uuid: callUuid });
  const taskByCode = db
    .select({ id: tasks.id, projectId: tasks.projectId })
    .from(tasks)
    .where(eq(tasks.callTaskCode, sql.placeholder('code')))
    .prepare();
  const newestProjectByCode = db
    .select({ id: projects.id })
    .from(projects)
    .where(eq(projects.projectCode, sql.placeholder('code')))
    .orderBy(desc(projects.id))
    .prepare();

  // Every call writes its row two or three times (the flow's outcome, the dialer's verdict, the CDR), each with
  // the same few sets of fields: one statement prepared per set, instead of drizzle building and SQLite compiling
  // one per write (issue 13). The columns are plain integers and text, so values need no mapping.
  const updates = new Map<string, ReturnType<typeof prepareUpdate>>();
  const inserts = new Map<string, ReturnType<typeof prepareInsert>>();
  const paramsOf = (names: readonly string[]) =>
    Object.fromEntries(names.map((name) => [name, sql`${sql.placeholder(name)}`]));
  function prepareUpdate(names: readonly string[]) {
    return db
      .update(callLogs)
      .set({ ...paramsOf(names), updateTime: sql`${sql.placeholder('updateTime')}` })
      .where(eq(callLogs.id, sql.placeholder('id')))
      .returning()
      .prepare();
  }
  function prepareInsert(names: readonly string[]) {
    return db
      .insert(callLogs)
      .values({
        ...paramsOf(names),
        destinationNumber: sql`${sql.placeholder('destinationNumber')}`,
        callUuid: sql`${sql.placeholder('callUuid')}`,
        addTime: sql`${sql.placeholder('now')}`,
        updateTime: sql`${sql.placeholder('now')}`,
      })
      .returning()
      .prepare();
  }
  function cached<T>(cache: Map<string, T>, names: string[], prepare: (names: string[]) => T): T {
    const key = names.join(',');
    let statement = cache.get(key);
    if (!statement) {
      // Bounded, though in practice a handful of field sets occur.
      if (cache.size >= PREPARED_FIELD_SETS) cache.clear();
      cache.set(key, (statement = prepare(names)));
    }
    return statement;
  }

  // The export's steps, prepared once per filter combination. Every filter column is written `+column`, which
  // keeps SQLite off their indexes: with (project_id, start_timestamp) it would collect all of a project's rows and
  // sort them by id for every page (300 pages of a 300,000-row project, each sorting 300,000 rows, was issue 17.8's
  // 15 s stall); on the primary key a step reads at most its span of ids.
  const exportStatements = new Map<string, ReturnType<typeof prepareExport>>();
  function prepareExport(filter: CallLogFilter) {
    const time = filter.timeField === 'end' ? callLogs.endTimestamp : callLogs.startTimestamp;
    const conds: SQL[] = [
      gte(callLogs.id, sql.placeholder('fromId')),
      lt(callLogs.id, sql.placeholder('beforeId')),
    ];
    if (filter.projectId !== undefined)
      conds.push(sql`+${callLogs.projectId} = ${sql.placeholder('projectId')}`);
    if (filter.taskId !== undefined) conds.push(sql`+${callLogs.taskId} = ${sql.placeholder('taskId')}`);
    if (filter.callTaskCode !== undefined)
      conds.push(sql`+${callLogs.callTaskCode} = ${sql.placeholder('callTaskCode')}`);
    if (filter.beginTime !== undefined) conds.push(sql`+${time} >= ${sql.placeholder('beginTime')}`);
    if (filter.endTime !== undefined) conds.push(sql`+${time} <= ${sql.placeholder('endTime')}`);
    return db
      .select()
      .from(callLogs)
      .where(and(...conds))
      .orderBy(desc(callLogs.id))
      .limit(sql.placeholder('limit'))
      .prepare();
  }
  function exportStatement(filter: CallLogFilter) {
    const key = [filter.timeField ?? 'start', ...EXPORT_FILTERS.filter((k) => filter[k] !== undefined)].join(
      ',',
    );
    return cached(exportStatements, [key], () => prepareExport(filter));
  }

  function write(callUuid: string, fields: CallLogFields, now: number): CallLog {
    const values = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    const existing = get(callUuid);
    if (existing) {
      const names = Object.keys(values);
      if (names.length === 0) return existing;
      const update = cached(updates, names, prepareUpdate);
      return update.get({ ...values, updateTime: now, id: existing.id }) as CallLog;
    }
    const names = Object.keys(values).filter((name) => name !== 'destinationNumber');
    const insert = cached(inserts, names, prepareInsert);
    return insert.get({
      ...values,
      destinationNumber: fields.destinationNumber ?? '',
      callUuid,
      now,
    }) as CallLog;
  }

  return {
    get,
    byId: (id: number): CallLog | undefined => db.select().from(callLogs).where(eq(callLogs.id, id)).get(),

    /** The flow's write: creates the row or sets the given fields (undefined ones are left alone). */
    upsert: (callUuid: string, fields: CallLogFields, now: number): CallLog =>
      transaction(() => write(callUuid, fields, now)),

    /** The CDR's write (see mergeCdrFields), with cdrReceived set; one transaction, so a retry cannot interleave. */
    mergeCdr: (callUuid: string, fields: CallLogFields, now: number): CallLog =>
      transaction(() => write(callUuid, mergeCdrFields(get(callUuid), { ...fields, cdrReceived: 1 }), now)),

    /** Fills fields only where the row has none (agent legs adding the agent's extension, a recording path). */
    fillMissing(callUuid: string, fields: CallLogFields, now: number): CallLog | undefined {
      return transaction(() => {
        const existing = get(callUuid);
        return existing ? write(callUuid, missingOnly(existing, fields), now) : undefined;
      });
    },

    /**
     * In one transaction: fills `fill` where the row has nothing (as fillMissing), or, when there is no row yet,
     * creates it with `fill` and `create`. One step, so a writer creating the row meanwhile (the customer's CDR
     * arriving at the same time) is never overwritten.
     */
    fillOrCreate(
      callUuid: string,
      fill: CallLogFields,
      create: CallLogFields,
      now: number,
    ): { created: boolean } {
      return transaction(() => {
        const existing = get(callUuid);
        write(callUuid, existing ? missingOnly(existing, fill) : { ...fill, ...create }, now);
        return { created: !existing };
      });
    },

    /** The recording named on the call is gone (FreeSWITCH discarded it as empty): stop naming it. */
    clearRecording(callUuid: string, now: number): void {
      db.update(callLogs)
        .set({ recordFile: null, updateTime: now })
        .where(eq(callLogs.callUuid, callUuid))
        .run();
    },

    setQiniuRef(callUuid: string, ref: string, now: number): void {
      db.update(callLogs)
        .set({ recordFileQiniu: ref, updateTime: now })
        .where(eq(callLogs.callUuid, callUuid))
        .run();
    },

    /** Task and project ids of the codes a leg carried (the active project of that code). */
    resolveCodes(codes: { taskCode?: string | null; projectCode?: string | null }): {
      taskId: number | null;
      projectId: number | null;
    } {
      const task = codes.taskCode ? taskByCode.get({ code: codes.taskCode }) : undefined;
      if (task) return { taskId: task.id, projectId: task.projectId };
      const project = codes.projectCode ? newestProjectByCode.get({ code: codes.projectCode }) : undefined;
      return { taskId: null, projectId: project?.id ?? null };
    },

    /** spec 一.10: newest first. */
    list(filter: CallLogFilter, paging: Paging): { total: number; items: CallLog[] } {
      const conds: SQL[] = [];
      if (filter.projectId !== undefined) conds.push(eq(callLogs.projectId, filter.projectId));
      if (filter.taskId !== undefined) conds.push(eq(callLogs.taskId, filter.taskId));
      if (filter.callTaskCode !== undefined) conds.push(eq(callLogs.callTaskCode, filter.callTaskCode));
      const time = filter.timeField === 'end' ? callLogs.endTimestamp : callLogs.startTimestamp;
      if (filter.beginTime !== undefined) conds.push(gte(time, filter.beginTime));
      if (filter.endTime !== undefined) conds.push(lte(time, filter.endTime));
      const where = conds.length ? and(...conds) : undefined;
      const total = db.select({ n: count() }).from(callLogs).where(where).get()?.n ?? 0;
      const items = db
        .select()
        .from(callLogs)
        .where(where)
        .orderBy(desc(callLogs.id))
        .limit(paging.limit)
        .offset(paging.offset)
        .all();
      return { total, items };
    },

    /**
     * One step of the CSV export (issue 17.8): matching call logs with ids in [`fromId`, `beforeId`), newest first,
     * at most `limit`. The caller walks the ids downwards in spans so that each step's work is bounded however
     * sparse the matches are; the statements walk the primary key (see exportStatement).
     */
    exportStep(filter: CallLogFilter, fromId: number, beforeId: number, limit: number): CallLog[] {
      return exportStatement(filter).all({ ...exportParams(filter), fromId, beforeId, limit }) as CallLog[];
    },

    /** The highest call-log id, where an export starts (0 when there is none). */
    maxId: (): number =>
      db
        .select({ id: sql<number>`max(${callLogs.id})` })
        .from(callLogs)
        .get()?.id ?? 0,

    /**
     * spec 一.13 (recall): a task's calls that ended with one of `resultDetails`, after call log id `afterId`,
     * oldest first so that the last item's id is the next recallLastId.
     */
    listByResult(
      taskId: number,
      resultDetails: readonly number[],
      afterId: number,
      paging: Paging,
    ): { total: number; items: CallLog[] } {
      if (resultDetails.length === 0) return { total: 0, items: [] };
      const where = and(
        eq(callLogs.taskId, taskId),
        inArray(callLogs.resultDetail, [...resultDetails]),
        gt(callLogs.id, afterId),
      );
      const total = db.select({ n: count() }).from(callLogs).where(where).get()?.n ?? 0;
      const items = db
        .select()
        .from(callLogs)
        .where(where)
        .orderBy(asc(callLogs.id))
        .limit(paging.limit)
        .offset(paging.offset)
        .all();
      return { total, items };
    },
  };
}
export type CallLogsRepo = Async<ReturnType<typeof callLogsRepo>>;

/** The `uploads` table: recordings waiting for (or retrying) their upload. Rows are kept as the upload history. */
export function recordingUploadsRepo(db: Db) {
  const transaction = transactionOf(db);
  return {
    /** Queues a recording once per call; a repeated CDR finds the existing row. */
    enqueue(row: { callUuid: string; filePath: string; key: string }, now: number): RecordingUpload {
      return transaction(() => {
        const existing = db.select().from(uploads).where(eq(uploads.callUuid, row.callUuid)).get();
        if (existing) return existing;
        return db
          .insert(uploads)
          .values({ ...row, attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now })
          .returning()
          .get();
      });
    },
    get: (id: number): RecordingUpload | undefined =>
      db.select().from(uploads).where(eq(uploads.id, id)).get(),
    byCall: (callUuid: string): RecordingUpload | undefined =>
      db.select().from(uploads).where(eq(uploads.callUuid, callUuid)).get(),
    due: (now: number, limit: number): RecordingUpload[] =>
      db
        .select()
        .from(uploads)
        .where(and(isNull(uploads.doneAt), lte(uploads.nextAttemptAt, now)))
        .orderBy(asc(uploads.nextAttemptAt), asc(uploads.id))
        .limit(limit)
        .all(),
    /** The earliest time a pending upload is due, or null when nothing is pending. */
    nextDueAt(): number | null {
      const row = db
        .select({ at: uploads.nextAttemptAt })
        .from(uploads)
        .where(isNull(uploads.doneAt))
        .orderBy(asc(uploads.nextAttemptAt))
        .limit(1)
        .get();
      return row?.at ?? null;
    },
    succeeded(id: number, now: number): void {
      db.update(uploads)
        .set({ doneAt: now, lastError: null, updatedAt: now })
        .where(eq(uploads.id, id))
        .run();
    },
    failed(id: number, attempts: number, error: string, nextAttemptAt: number, now: number): void {
      db.update(uploads)
        .set({ attempts, lastError: error, nextAttemptAt, updatedAt: now })
        .where(eq(uploads.id, id))
        .run();
    },
  };
}
export type RecordingUploadsRepo = Async<ReturnType<typeof recordingUploadsRepo>>;
