// Do-not-call lists (issue 14.6, an extension of the contract): the global list (no projectCode) and one per
// project code. add/remove take `numbers` (a JSON array, form field or JSON body) or a CSV upload (multipart field
// `file`, first column, a header line without digits skipped; with optional `projectCode` and `note` fields). Any
// bad number rejects the whole request, naming its position: a list is never half imported.
import multipart from '@fastify/multipart';
import { fieldText, readingMultipart, uploadLimits } from '../multipart.js';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError, invalid } from '../../core/errors.js';
import { parseNumbersField } from '../../dialer/call-lists.js';
import { CsvFirstColumn, DncKeys } from '../../dialer/dnc-import.js';
import type { DncService } from '../../dialer/dnc.js';
import type { ApiContext } from '../context.js';
import { ok } from '../envelope.js';
import { pageOf, pagingQuery } from '../paging.js';

const P = '/callcenter/dnc/api';
const tags = ['doNotCall'];
const projectCode = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  description: 'The project list; absent: the global list',
} as const;
const fields = {
  type: 'object',
  required: ['numbers'],
  properties: {
    projectCode,
    numbers: { description: 'JSON array of phone numbers (text in a form field, or an array in JSON)' },
    note: { type: 'string', maxLength: 200 },
  },
} as const;

interface Keys {
  projectCode?: string;
  note?: string;
  keys: string[];
}

/** The CSV is checked line by line as it streams in (issue 17.10): a bad or 100,001st number stops the reading. */
async function fromUpload(req: FastifyRequest): Promise<Keys> {
  const out: Omit<Keys, 'keys'> = {};
  const keys = new DncKeys();
  let file = false;
  for await (const part of req.parts()) {
    if (part.type === 'file') {
      if (part.fieldname !== 'file') throw invalid(`unexpected file field ${part.fieldname}`);
      const lines = new CsvFirstColumn();
      for await (const chunk of part.file as AsyncIterable<Buffer>) await keys.addAll(lines.push(chunk));
      await keys.addAll(lines.end());
      file = true;
    } else if (part.fieldname === 'projectCode') out.projectCode = fieldText(part, 64);
    else if (part.fieldname === 'note') out.note = fieldText(part, 200);
    else throw invalid(`${part.fieldname.slice(0, 64)} is not a known parameter`);
  }
  if (!file) throw invalid('file is required (a CSV of phone numbers)');
  if (out.projectCode === '') delete out.projectCode;
  return { ...out, keys: keys.done() };
}

async function keysOf(
  req: FastifyRequest<{ Body: { projectCode?: string; numbers: unknown; note?: string } }>,
): Promise<Keys> {
  if (req.isMultipart()) return readingMultipart(() => fromUpload(req));
  const values = parseNumbersField(req.body.numbers);
  if (values instanceof AppError) throw values;
  const keys = new DncKeys();
  await keys.addAll(values);
  return { projectCode: req.body.projectCode, note: req.body.note, keys: keys.done() };
}

export function dncRoutes(dnc: DncService): FastifyPluginAsync<{ ctx: ApiContext }> {
  return async (app) => {
    await app.register(multipart, { limits: uploadLimits() });
    const body = {
      content: {
        'application/x-www-form-urlencoded': { schema: fields },
        'application/json': { schema: fields },
      },
    };

    app.post<{ Body: { projectCode?: string; numbers: unknown; note?: string } }>(
      `${P}/add/v1`,
      {
        schema: {
          summary:
            'Put numbers on the global or a project do-not-call list (JSON `numbers` or a multipart CSV `file`); returns added, alreadyListed, rejected',
          tags,
          body,
        },
      },
      async (req) => {
        const v = await keysOf(req);
        return ok(await dnc.add(v.projectCode, v.keys, v.note));
      },
    );

    app.post<{ Body: { projectCode?: string; numbers: unknown } }>(
      `${P}/remove/v1`,
      {
        schema: {
          summary: 'Take numbers off the global or a project do-not-call list; returns removed, rejected',
          tags,
          body,
        },
      },
      async (req) => {
        const v = await keysOf(req);
        return ok(await dnc.remove(v.projectCode, v.keys));
      },
    );

    app.get<{ Querystring: { phone: string; projectCode?: string } }>(
      `${P}/check/v1`,
      {
        schema: {
          summary: 'Is a number on the global list, or on the project list? Returns blocked and the lists',
          tags,
          querystring: {
            type: 'object',
            required: ['phone'],
            properties: { phone: { type: 'string', minLength: 1, maxLength: 20 }, projectCode },
          },
        },
      },
      async (req) => ok(await dnc.check(req.query.phone, req.query.projectCode)),
    );

    app.get<{ Querystring: { projectCode?: string; pageNum?: number; pageSize?: number } }>(
      `${P}/list/v1`,
      {
        schema: {
          summary: 'The numbers of the global or a project do-not-call list, oldest first',
          tags,
          querystring: { type: 'object', properties: { ...pagingQuery(1000), projectCode } },
        },
      },
      async (req) => {
        const { offset, limit } = pageOf(req.query);
        return ok(await dnc.list(req.query.projectCode, offset, limit));
      },
    );
  };
}
