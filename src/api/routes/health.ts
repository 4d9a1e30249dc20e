import type { FastifyPluginAsync } from 'fastify';
import type Database from 'better-sqlite3';
import { failure, ok } from '../envelope.js';
import type { ApiContext } from '../context.js';

const COUNTED = [
  'api_accounts',
  'fs_nodes',
  'gateways',
  'projects',
  'extensions',
  'tasks',
  'call_logs',
] as const;

export const healthRoutes: FastifyPluginAsync<{
  ctx: ApiContext;
  sqlite: Database.Database;
  startedAt: number;
}> = async (app, { ctx, sqlite, startedAt }) => {
  app.get(
    '/health',
    { schema: { summary: 'Liveness: database reachable, row counts, counters', tags: ['ops'] } },
    async (_req, reply) => {
      try {
        const counts = Object.fromEntries(
          COUNTED.map((t) => [
            t,
            (sqlite.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n,
          ]),
        );
        return ok({
          status: 'ok',
          db: 'ok',
          uptimeMs: ctx.clock.now() - startedAt,
          counts,
          metrics: ctx.metrics.snapshot(),
        });
      } catch (err) {
        reply.log.error({ err }, 'health check: database unreachable');
        return reply.status(503).send(failure(503, 'database is unreachable'));
      }
    },
  );
  app.get(
    '/metrics',
    { schema: { summary: 'Counters in Prometheus text format', tags: ['ops'] } },
    async (_req, reply) => reply.type('text/plain; version=0.0.4').send(ctx.metrics.prometheus()),
  );
};
