// Call lists (the contract names callListId / callListLastId without an endpoint to make them): create a list,
// then append numbers as a JSON array (`numbers`, form or JSON body) or a CSV upload (multipart field `file`, one
// number per line or in the first column, plus a `callListId` field). Bad and duplicate values are reported by
// position and the rest are kept.
import multipart from '@fastify/multipart';
import { fieldText, readingMultipart, uploadLimits } from '../multipart.js';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError, invalid } from '../../core/errors.js';
import { csvValues, parseNumbersField, type CallListService } from '../../dialer/call-lists.js';
import type { ApiContext } from '../context.js';
import { ok } from '../envelope.js';

const P = '/callcenter/callList/api';
const tags = ['callList'];

const appendFields = {
  type: 'object',
  required: ['callListId', 'numbers'],
  properties: {
    callListId: { type: 'integer', minimum: 1, maximum: 2_147_483_647 },
    numbers: { description: 'JSON array of phone numbers (text in a form field, or an array in JSON)' },
  },
} as const;

async function fromUpload(req: FastifyRequest): Promise<{ callListId: number; text: string }> {
  let callListId: number | undefined;
  let text: string | undefined;
  await readingMultipart(async () => {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') throw invalid(`unexpected file field ${part.fieldname}`);
        text = (await part.toBuffer()).toString('utf8');
      } else if (part.fieldname === 'callListId') {
        const v = fieldText(part, 10);
        callListId = /^\d{1,10}$/.test(v) ? Number(v) : NaN;
      }
    }
  });
  if (callListId === undefined || !Number.isInteger(callListId) || callListId < 1)
    throw invalid('callListId is required and must be a positive integer');
  if (text === undefined) throw invalid('file is required (a CSV of phone numbers)');
  return { callListId, text };
}

export function callListRoutes(lists: CallListService): FastifyPluginAsync<{ ctx: ApiContext }> {
  return async (app) => {
    await app.register(multipart, { limits: uploadLimits() });

    app.post<{ Body: { name?: string } }>(
      `${P}/create/v1`,
      {
        schema: {
          summary: 'Create a call list; returns its callListId',
          tags,
          body: { type: 'object', properties: { name: { type: 'string', maxLength: 128 } } },
        },
      },
      async (req) => ok(await lists.create(req.body?.name)),
    );

    app.post<{ Body: { callListId: number; numbers: unknown } }>(
      `${P}/append/v1`,
      {
        schema: {
          summary:
            'Append numbers (JSON `numbers` or a multipart CSV `file`); returns lastId, accepted and rejected [{position, value, reason}]',
          tags,
          body: {
            content: {
              'application/x-www-form-urlencoded': { schema: appendFields },
              'application/json': { schema: appendFields },
            },
          },
        },
      },
      async (req) => {
        if (req.isMultipart()) {
          const { callListId, text } = await fromUpload(req);
          return ok(await lists.appendYielding(callListId, csvValues(text)));
        }
        const values = parseNumbersField(req.body.numbers);
        if (values instanceof AppError) throw values;
        return ok(await lists.appendYielding(req.body.callListId, values));
      },
    );
  };
}
