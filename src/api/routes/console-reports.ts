// Manager-page endpoints of issue 14 (browser-facing, unsigned like the other console endpoints: HTTP Basic with a
// manager extension and its SIP password, own project only; see console.ts for the security model): the wallboard's
// last hour and the abandon-rate report.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ExtensionType } from '../../core/codes.js';
import { forbidden } from '../../core/errors.js';
import type { Wallboard } from '../../supervisor/wallboard.js';
import type { ApiContext } from '../context.js';
import { ok } from '../envelope.js';
import { authenticate, CONSOLE_PREFIX } from './console.js';
import { reportFor } from './reports.js';

const query = {
  type: 'object',
  required: ['projectCode'],
  properties: { projectCode: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } },
} as const;

async function managerOf(ctx: ApiContext, request: FastifyRequest, projectCode: string): Promise<void> {
  const user = await authenticate(ctx, request);
  if (user.type !== ExtensionType.manager) throw forbidden(`extension ${user.username} is not a manager`);
  if (user.projectCode !== projectCode)
    throw forbidden(`extension ${user.username} is not a manager of project ${projectCode}`);
}

export const consoleReportRoutes: FastifyPluginAsync<{
  ctx: ApiContext;
  wallboard: Wallboard;
}> = async (app, { ctx, wallboard }) => {
  app.get<{ Querystring: { projectCode: string } }>(
    `${CONSOLE_PREFIX}/wallboard`,
    {
      schema: {
        summary: "The wallboard's samples of the last hour (Basic: a manager of the project)",
        tags: ['console'],
        querystring: query,
      },
    },
    async (req) => {
      await managerOf(ctx, req, req.query.projectCode);
      return ok({ samples: wallboard.lastHour(req.query.projectCode) });
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
