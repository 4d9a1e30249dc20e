// CSV export of call logs (issue 14.10, an extension): GET /callcenter/callLog/api/export/v1 takes getList's filters
// (projectCode, callTaskCode, beginTime, endTime, queryTimeType) without paging and streams every matching call,
// newest first, as CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese headers). Bad filters are
// answered as JSON like every other endpoint, before any CSV is sent.
import { Readable } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import type { FastifyPluginAsync } from 'fastify';
import type { CallLog, CallLogFilter, CallLogsRepo } from '../../db/repos/call-logs.js';
import type { ApiContext } from '../context.js';
import { csvField } from '../csv-field.js';
import { callLogFilter, callLogItem, type CallLogQuery } from './call-logs.js';

/** Rows per step, and the span of ids a step reads at most (bounds its work however sparse the matches are). */
const STEP_ROWS = 500;
const STEP_SPAN = 20_000;

/**
 * The matching call logs, newest first, in steps of at most STEP_ROWS rows, each in its own turn of the event loop
 * (issue 17.8: a 300,000-row export held the loop for 15 s while calls were live). Ids are walked downwards from
 * the highest at the start, so rows written meanwhile neither repeat nor shift the pages.
 */
async function* exportSteps(repo: CallLogsRepo, filter: CallLogFilter): AsyncGenerator<CallLog[]> {
  let beforeId = (await repo.maxId()) + 1;
  while (beforeId > 0) {
    const fromId = Math.max(0, beforeId - STEP_SPAN);
    const batch = await repo.exportStep(filter, fromId, beforeId, STEP_ROWS);
    if (batch.length > 0) yield batch;
    beforeId = batch.length === STEP_ROWS ? (batch.at(-1)?.id ?? fromId) : fromId;
    await setImmediate();
  }
}

/** getList's item fields, in its order, then the extensions. */
const ITEM_FIELDS: (keyof ReturnType<typeof callLogItem>)[] = [
  'id',
  'callTaskCode',
  'callerIdNumber',
  'destinationNumber',
  'recordFile',
  'recordFileQiniu',
  'startTimestamp',
  'endTimestamp',
  'addTime',
  'updateTime',
  'duration',
  'billsec',
  'priceCal',
  'priceRule',
  'result',
  'resultDetail',
  'evaluation',
  'skipReason',
];
const COLUMNS: [string, (c: CallLog) => unknown][] = [
  ...ITEM_FIELDS.map((k): [string, (c: CallLog) => unknown] => [k, (c) => callLogItem(c)[k]]),
  ['abandoned', (c) => c.abandoned],
  ['agentWaitMs', (c) => c.agentWaitMs],
  // Answering-machine detection (issue 23): human, machine or notsure, and the audio it took; empty: not analysed.
  ['amdVerdict', (c) => c.amdVerdict],
  ['amdMs', (c) => c.amdMs],
];

export const callLogExportRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get<{ Querystring: CallLogQuery }>(
    '/callcenter/callLog/api/export/v1',
    {
      schema: {
        summary: "Extension: every call log matching getList's filters, as CSV (newest first)",
        tags: ['callLog'],
        querystring: {
          type: 'object',
          required: ['queryTimeType'],
          properties: {
            projectCode: { type: 'string', minLength: 1, maxLength: 64 },
            callTaskCode: { type: 'string', minLength: 1, maxLength: 64 },
            beginTime: { type: 'string', description: 'yyyy-MM-dd HH:mm:ss (UTC+8) or epoch ms' },
            endTime: { type: 'string', description: 'yyyy-MM-dd HH:mm:ss (UTC+8) or epoch ms' },
            queryTimeType: { type: 'integer', enum: [1, 2] },
          },
        },
      },
    },
    async (req, reply) => {
      const filter = await callLogFilter(ctx, req.query);
      const repo = ctx.repos.callLogs;
      async function* rows(): AsyncGenerator<string> {
        yield `\uFEFF${COLUMNS.map(([name]) => name).join(',')}\r\n`;
        for await (const batch of exportSteps(repo, filter))
          yield batch.map((c) => `${COLUMNS.map(([, get]) => csvField(get(c))).join(',')}\r\n`).join('');
      }
      const stamp = new Date(ctx.clock.now()).toISOString().slice(0, 10);
      return (
        reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="call-logs-${stamp}.csv"`)
          // One step in the stream's buffer at most: it asks for the next only once the socket took the last one.
          .send(Readable.from(rows(), { objectMode: true, highWaterMark: 1 }))
      );
    },
  );
};
