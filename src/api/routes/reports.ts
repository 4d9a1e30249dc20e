// Reports (issue 14.9, an extension of the contract): the abandon rate per project and per task over the last 24 h
// and 30 days, as the dialer counted each live answer (src/dialer/abandon-report.ts).
import type { FastifyPluginAsync } from 'fastify';
import { invalid, notFound } from '../../core/errors.js';
import { abandonReport } from '../../dialer/abandon-report.js';
import type { ApiContext } from '../context.js';
import { ok } from '../envelope.js';

const P = '/callcenter/report/api';

/** The report for a project code (its newest project) or a task code; throws naming the field. */
export async function reportFor(ctx: ApiContext, q: { projectCode?: string; callTaskCode?: string }) {
  if (q.callTaskCode !== undefined) {
    const task = await ctx.repos.tasks.byCode(q.callTaskCode);
    if (!task) throw notFound(`callTaskCode ${q.callTaskCode} does not exist`);
    const project = await ctx.repos.projects.get(task.projectId);
    if (!project) throw notFound(`the project of task ${q.callTaskCode} does not exist`);
    if (q.projectCode !== undefined && q.projectCode !== project.projectCode)
      throw invalid(`callTaskCode ${q.callTaskCode} is not a task of projectCode ${q.projectCode}`);
    return abandonReport(ctx.repos.abandon, project, ctx.clock.now(), task.id);
  }
  if (q.projectCode === undefined) throw invalid('projectCode or callTaskCode is required');
  const projectId = (await ctx.repos.callLogs.resolveCodes({ projectCode: q.projectCode })).projectId;
  const project = projectId === null ? undefined : await ctx.repos.projects.get(projectId);
  if (!project) throw notFound(`projectCode ${q.projectCode} does not exist`);
  return abandonReport(ctx.repos.abandon, project, ctx.clock.now());
}

export function reportRoutes(): FastifyPluginAsync<{ ctx: ApiContext }> {
  return async (app, { ctx }) => {
    app.get<{ Querystring: { projectCode?: string; callTaskCode?: string } }>(
      `${P}/abandonRate/v1`,
      {
        schema: {
          summary:
            'Abandoned / live answers (no agent within 2 s) of a project and its tasks, or of one task, over the last 24 h and 30 days',
          tags: ['report'],
          querystring: {
            type: 'object',
            properties: {
              projectCode: { type: 'string', minLength: 1, maxLength: 64 },
              callTaskCode: { type: 'string', minLength: 1, maxLength: 64 },
            },
          },
        },
      },
      async (req) => ok(await reportFor(ctx, req.query)),
    );
  };
}
