import type { FastifyPluginAsync } from 'fastify';
import { failure, ok } from '../envelope.js';
import type { ApiContext } from '../context.js';

/** The RabbitMQ link (issue 20), from the bus's counters: 'off' for a lone instance. */
function amqpLink(ctx: ApiContext, m: Record<string, number>) {
  if (!ctx.config.cluster.amqpUrl) return { link: 'off' };
  return {
    link: m['cluster.amqp.up'] === 1 ? 'up' : 'down',
    reconnects: m['cluster.amqp.reconnects'],
    framesIn: m['cluster.frames.in'],
    framesOut: m['cluster.frames.out'],
    framesDropped: m['cluster.frames.dropped'],
  };
}

/**
 * Project ownership (issue 20): the projects this instance holds, each with its fencing epoch, how long since it was
 * granted or renewed and how long it may still act on it, and how old the last lease read is (a PostgreSQL link that
 * stopped answering shows as a growing age). 'lone' for an instance that owns every project.
 */
function leases(ctx: ApiContext) {
  const keeper = ctx.keeper;
  if (!keeper) return { mode: 'lone' };
  const age = keeper.readAgeMs();
  return { mode: 'lease', owned: keeper.held(), lastReadAgeMs: age === undefined ? null : Math.round(age) };
}

/** One line per project this instance holds: its fencing epoch, and how long since the lease was renewed. */
function owned(ctx: ApiContext): string {
  return (ctx.keeper?.held() ?? [])
    .map(
      (h) =>
        `callcenter_lease_age_ms{project="${label(h.projectCode)}",epoch="${h.epoch}"} ${Math.round(h.ageMs)}\n`,
    )
    .join('');
}

/** Prometheus label values escape backslash, double quote and newline. */
const label = (v: string): string => v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));

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
        const metrics = ctx.metrics.snapshot();
        return ok({
          status: 'ok',
          db: 'ok',
          instance: ctx.config.cluster.instanceId,
          amqp: amqpLink(ctx, metrics),
          leases: leases(ctx),
          uptimeMs: ctx.clock.now() - startedAt,
          counts,
          metrics,
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
    async (_req, reply) =>
      reply
        .type('text/plain; version=0.0.4')
        .send(
          `callcenter_instance_info{instance="${label(ctx.config.cluster.instanceId)}"} 1\n${owned(ctx)}${ctx.metrics.prometheus()}`,
        ),
  );
};
