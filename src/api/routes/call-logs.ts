// Call results (spec 一.10, 13). Decisions: beginTime/endTime take the formats of expiredTime (yyyy-MM-dd HH:mm:ss
// in UTC+8, or epoch ms) and bound the call's start (queryTimeType 1) or end (2), inclusive; result and
// resultDetail are strings as the spec's example shows; priceCal is in fen; getListByResult items carry the
// call-log id so the caller pages with recallLastId = the last id it got.
import type { FastifyPluginAsync } from 'fastify';
import { AppError, invalid, notFound } from '../../core/errors.js';
import type { CallLog, CallLogFilter } from '../../db/repos/call-logs.js';
import type { TasksRepo } from '../../db/repos/tasks.js';
import { parseApiTime, parseResultDetails } from '../../dialer/task-input.js';
import type { ApiContext } from '../context.js';
import { ok } from '../envelope.js';
import { pageOf, pagingQuery } from '../paging.js';

const P = '/callcenter/callLog/api';
const tags = ['callLog'];

const orThrow = <T>(v: T | AppError): T => {
  if (v instanceof AppError) throw v;
  return v;
};

/** getList's filters (also the CSV export's); 400 naming the field when one is bad. */
export interface CallLogQuery {
  projectCode?: string;
  callTaskCode?: string;
  beginTime?: string;
  endTime?: string;
  queryTimeType?: number;
}

export async function callLogFilter(ctx: ApiContext, q: CallLogQuery): Promise<CallLogFilter> {
  const beginTime = q.beginTime === undefined ? undefined : orThrow(parseApiTime(q.beginTime, 'beginTime'));
  const endTime = q.endTime === undefined ? undefined : orThrow(parseApiTime(q.endTime, 'endTime'));
  if (beginTime !== undefined && endTime !== undefined && beginTime > endTime)
    throw invalid('beginTime must not be after endTime');
  return {
    // A finished project's code may be created again: the code means its newest project.
    projectId:
      q.projectCode === undefined
        ? undefined
        : ((await ctx.repos.callLogs.resolveCodes({ projectCode: q.projectCode })).projectId ?? -1),
    callTaskCode: q.callTaskCode,
    beginTime,
    endTime,
    timeField: q.queryTimeType === 2 ? 'end' : 'start',
  };
}

/** One call log as the spec's getList item. */
export function callLogItem(c: CallLog) {
  return {
    id: c.id,
    callTaskCode: c.callTaskCode,
    callerIdNumber: c.callerIdNumber,
    destinationNumber: c.destinationNumber,
    recordFile: c.recordFile,
    recordFileQiniu: c.recordFileQiniu,
    startTimestamp: c.startTimestamp,
    endTimestamp: c.endTimestamp,
    addTime: c.addTime,
    updateTime: c.updateTime,
    duration: c.duration,
    billsec: c.billsec,
    priceCal: c.priceCal,
    priceRule: c.priceRule,
    result: c.result === null ? null : String(c.result),
    resultDetail: c.resultDetail === null ? null : String(c.resultDetail),
    evaluation: c.evaluation,
    /** Extension (issue 14.6): why the number was not dialled (`dnc-global`, `dnc-project`); null for calls. */
    skipReason: c.skipReason,
  };
}

interface ListQuery {
  pageNum?: number;
  pageSize?: number;
  projectCode?: string;
  callTaskCode?: string;
  beginTime?: string;
  endTime?: string;
  queryTimeType: 1 | 2;
}

export function callLogRoutes(tasks: TasksRepo): FastifyPluginAsync<{ ctx: ApiContext }> {
  return async (app, { ctx }) => {
    app.get<{ Querystring: ListQuery }>(
      `${P}/getList/v1`,
      {
        schema: {
          summary: 'Call results of a project or task, newest first, by call start (1) or end (2) time',
          tags,
          querystring: {
            type: 'object',
            required: ['queryTimeType'],
            properties: {
              ...pagingQuery(500),
              projectCode: { type: 'string', minLength: 1, maxLength: 64 },
              callTaskCode: { type: 'string', minLength: 1, maxLength: 64 },
              beginTime: { type: 'string', description: 'yyyy-MM-dd HH:mm:ss (UTC+8) or epoch ms' },
              endTime: { type: 'string', description: 'yyyy-MM-dd HH:mm:ss (UTC+8) or epoch ms' },
              queryTimeType: { type: 'integer', enum: [1, 2] },
            },
          },
        },
      },
      async (req) => {
        const q = req.query;
        const page = await ctx.repos.callLogs.list(await callLogFilter(ctx, q), pageOf(q));
        return ok({ total: page.total, items: page.items.map(callLogItem) });
      },
    );

    app.get<{
      Querystring: {
        resultDetail: string;
        callTaskCode: string;
        recallLastId: number;
        pageNum?: number;
        pageSize?: number;
      };
    }>(
      `${P}/getListByResult/v1`,
      {
        schema: {
          summary:
            "Recall list: the task's numbers whose last call ended with one of resultDetail, after call-log id recallLastId",
          tags,
          querystring: {
            type: 'object',
            required: ['resultDetail', 'callTaskCode', 'recallLastId'],
            properties: {
              ...pagingQuery(1000),
              resultDetail: { type: 'string', minLength: 1, maxLength: 200 },
              callTaskCode: { type: 'string', minLength: 1, maxLength: 64 },
              recallLastId: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
            },
          },
        },
      },
      async (req) => {
        const q = req.query;
        const details = orThrow(parseResultDetails(q.resultDetail, 'resultDetail'));
        const task = await tasks.byCode(q.callTaskCode);
        if (!task) throw notFound(`callTaskCode ${q.callTaskCode} does not exist`);
        const { offset, limit } = pageOf(q);
        return ok(await tasks.recallPage(task.id, details, q.recallLastId, offset, limit));
      },
    );
  };
}
