// Manager-page endpoints of issue 14 (browser-facing, unsigned like the other console endpoints: HTTP Basic with a
// manager extension and its SIP password, own project only; see console.ts for the security model): the wallboard's
// last hour and the abandon-rate report.
import type { FastifyPluginAsync } from 'fastify';
import { consoleReads, localReads, type ConsoleReads } from '../console-reads.js';
import type { Wallboard } from '../../supervisor/wallboard.js';
import type { ApiContext } from '../context.js';
import { ok } from '../envelope.js';
import { CONSOLE_PREFIX, managerOf, STATE_FROM_HEADER } from './console.js';
import { reportFor } from './reports.js';

const query = {
  type: 'object',
  required: ['projectCode'],
  properties: { projectCode: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } },
} as const;

/** `reads`: answered by the project's owner (console-reads.ts); else here, from `wallboard` (a lone instance). */
type ReportOptions = { ctx: ApiContext } & ({ reads: ConsoleReads } | { wallboard: Wallboard });

export const consoleReportRoutes: FastifyPluginAsync<ReportOptions> = async (app, opts) => {
  const { ctx } = opts;
  const reads = 'reads' in opts ? opts.reads : consoleReads({ ctx, local: localReads(ctx, opts) });
  app.get<{ Querystring: { projectCode: string } }>(
    `${CONSOLE_PREFIX}/wallboard`,
    {
      schema: {
        summary: "The wallboard's samples of the last hour (Basic: a manager of the project)",
        tags: ['console'],
        querystring: query,
      },
    },
    async (req, reply) => {
      const user = await managerOf(ctx, req, req.query.projectCode);
      // Only the project's owner samples it (the agents' live state is there): asked of the owner.
      const r = await reads.read('wallboard', user, req.query.projectCode);
      reply.header(STATE_FROM_HEADER, r.from);
      return ok(r.data);
    },
  );

  app.get<{ Querystring: { projectCode: string } }>(
    `${CONSOLE_PREFIX}/abandonRate`,
    {
      schema: {
        summary:
          'Abandon rate of the project and its tasks, 24 h and 30 days (Basic: a manager of the project)',
        tags: ['console'],
        querystring: query,
      },
    },
    async (req) => {
      await managerOf(ctx, req, req.query.projectCode);
      return ok(await reportFor(ctx, { projectCode: req.query.projectCode }));
    },
  );
};
