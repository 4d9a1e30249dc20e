// CSV export of call logs (issue 14.10, an extension): GET /callcenter/callLog/api/export/v1 takes getList's filters
// (projectCode, callTaskCode, beginTime, endTime, queryTimeType) without paging and streams every matching call,
// newest first, as CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese headers). Bad filters are
// answered as JSON like every other endpoint, before any CSV is sent.
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { CallLog } from '../../db/repos/call-logs.js';
import type { ApiContext } from '../context.js';
import { csvField } from '../csv-field.js';
import { callLogFilter, callLogItem, type CallLogQuery } from './call-logs.js';

const BATCH = 1000;

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
      const filter = callLogFilter(ctx, req.query);
      const repo = ctx.repos.callLogs;
      function* rows(): Generator<string> {
        yield `\uFEFF${COLUMNS.map(([name]) => name).join(',')}\r\n`;
        // Pages by id (newest first), so rows written meanwhile neither repeat nor shift the pages.
        let beforeId: number | undefined;
        for (;;) {
          const batch = repo.listBefore(filter, beforeId, BATCH);
          if (batch.length === 0) return;
          yield batch.map((c) => `${COLUMNS.map(([, get]) => csvField(get(c))).join(',')}\r\n`).join('');
          beforeId = batch[batch.length - 1]?.id;
        }
      }
      const stamp = new Date(ctx.clock.now()).toISOString().slice(0, 10);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="call-logs-${stamp}.csv"`)
        .send(Readable.from(rows()));
    },
  );
};
