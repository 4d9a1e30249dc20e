import type { FastifyPluginAsync } from 'fastify';
import { failure, ok } from '../envelope.js';
import type { ApiContext } from '../context.js';

export const healthRoutes: FastifyPluginAsync<{
  ctx: ApiContext;
  startedAt: number;
}> = async (app, { ctx, startedAt }) => {
  app.get(
    '/health',
    { schema: { summary: 'Liveness: database reachable, row counts, counters', tags: ['ops'] } },
    async (_req, reply) => {
      try {
        const counts = await ctx.repos.health.counts();
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
