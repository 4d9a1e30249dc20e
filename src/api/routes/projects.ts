// Projects, extensions and agents' availability (spec 一.1, 4, 9, 11, 12, 18, 20, 21, 22).
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ok } from '../envelope.js';
import type { ApiContext } from '../context.js';
import { normalizeIp, signedAccountOf } from '../auth.js';
import { ownerApi, type ApiCaller, type OwnerApi } from '../owner-api.js';
import { STATE_FROM_HEADER } from './console.js';

const P = '/callcenter/callProject/api';
const projectCode = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } as const;
const username = { type: 'string', minLength: 1, maxLength: 32, pattern: '^[0-9A-Za-z_.-]+$' } as const;
const gwCode = { type: 'string', minLength: 1, maxLength: 64 } as const;
const tags = ['project'];

export const projectRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = async (app, { ctx }) => {
  // Agents' work status, getExtentionByProject and distributionSeat act on live state only the project's owner
  // holds (issue 20): owner-api.ts runs them there.
  const owned = ownerApi(ctx, ctx.api);
  projectLifecycleRoutes(app, ctx, owned);
  agentStatusRoutes(app, ctx, owned);
};

/** The principal a request forwarded to a project's owner carries: the account whose signature was checked here. */
const callerOf = (req: FastifyRequest): ApiCaller => ({
  account: signedAccountOf(req),
  clientIp: normalizeIp(req.ip),
});

/** Creating, placing, handing out and ending projects and their extensions. */
function projectLifecycleRoutes(app: FastifyInstance, ctx: ApiContext, owned: OwnerApi): void {
  const projects = () => ctx.services.projects;

  app.post<{ Body: { projectCode: string; seats: number; defaultGwCode?: string } }>(
    `${P}/createProject/v1`,
    {
      schema: {
        summary: 'Create a project: place it on a node, allocate extensions, return the certificate',
        tags,
        body: {
          type: 'object',
          required: ['projectCode', 'seats'],
          properties: {
            projectCode,
            seats: { type: 'integer', minimum: 1, maximum: 2000 },
            defaultGwCode: {
              ...gwCode,
              description: "Extension: the gateway agents' own calls go out through",
            },
          },
        },
      },
    },
    async (req) =>
      ok(await projects().createProject(req.body.projectCode, req.body.seats, req.body.defaultGwCode)),
  );

  // Extension (issue 17.11): agents can call customers back when no task of the project is open.
  app.post<{ Body: { projectCode: string; defaultGwCode?: string } }>(
    `${P}/setDefaultGateway/v1`,
    {
      schema: {
        summary:
          "Extension: set the gateway the project's agents call out through first (without defaultGwCode: clear it); the gateways of its tasks follow",
        tags,
        body: {
          type: 'object',
          required: ['projectCode'],
          properties: { projectCode, defaultGwCode: gwCode },
        },
      },
    },
    async (req) => ok(await projects().setDefaultGateway(req.body.projectCode, req.body.defaultGwCode ?? '')),
  );

  app.get<{ Querystring: { certificate: string; username?: string; type: number } }>(
    `${P}/getByCertificate/v1`,
    {
      schema: {
        summary: 'Claim an extension of the project by its certificate (type 2 agent, 3 manager)',
        tags,
        querystring: {
          type: 'object',
          required: ['certificate', 'type'],
          properties: {
            certificate: { type: 'string', minLength: 1, maxLength: 64 },
            username,
            type: { type: 'integer', enum: [2, 3] },
          },
        },
      },
    },
    async (req) => {
      const {
        projectCode: _p,
        type: _t,
        ...data
      } = await projects().getByCertificate(req.query.certificate, req.query.type, req.query.username);
      return ok(data);
    },
  );

  app.get<{ Querystring: { projectCode: string } }>(
    `${P}/getExtentionByProject/v1`,
    {
      schema: {
        summary: "The project's extensions with registration, work and session status",
        tags,
        querystring: { type: 'object', required: ['projectCode'], properties: { projectCode } },
      },
    },
    async (req, reply) => {
      const r = await owned.run('getExtentionByProject', callerOf(req), req.query);
      // Extension header: `store` when the project's owner could not answer (nobody holds it, or it is silent).
      reply.header(STATE_FROM_HEADER, r.from);
      return ok(r.data);
    },
  );
}

/** Agents' availability and messages, and seats. */
function agentStatusRoutes(app: FastifyInstance, ctx: ApiContext, owned: OwnerApi): void {
  const projects = () => ctx.services.projects;

  app.post<{ Body: { username: string; workStatus?: 0 | 1 } }>(
    `${P}/setWorkStatus/v1`,
    {
      schema: {
        summary: 'Set an agent available (1) or not (0); without workStatus it toggles',
        tags,
        body: {
          type: 'object',
          required: ['username'],
          properties: { username, workStatus: { type: 'integer', enum: [0, 1] } },
        },
      },
    },
    async (req) => ok((await owned.run('setWorkStatus', callerOf(req), req.body)).data),
  );

  app.post<{ Body: { projectCode: string; workStatus: 0 | 1 } }>(
    `${P}/setWorkStatusByProjectCode/v1`,
    {
      schema: {
        summary:
          'Set every agent of the project available (1) or not (0); disabled extensions are left alone',
        tags,
        body: {
          type: 'object',
          required: ['workStatus', 'projectCode'],
          properties: { projectCode, workStatus: { type: 'integer', enum: [0, 1] } },
        },
      },
    },
    async (req) => {
      await owned.run('setWorkStatusByProjectCode', callerOf(req), req.body);
      return ok();
    },
  );

  app.post<{ Body: { username: string; workStatus?: -1 | 0 } }>(
    `${P}/setExtensionStatus/v1`,
    {
      schema: {
        summary:
          'Disable (-1: registration flushed, SIP auth refused, calls hung up) or enable (0) an extension',
        tags,
        body: {
          type: 'object',
          required: ['username'],
          properties: { username, workStatus: { type: 'integer', enum: [-1, 0] } },
        },
      },
    },
    async (req) => ok(await projects().setExtensionStatus(req.body.username, req.body.workStatus)),
  );

  app.post<{ Body: { projectCode: string; username?: string; content: string } }>(
    `${P}/sendToUser/v1`,
    {
      schema: {
        summary:
          'Send a message to one agent or to the whole project (STOMP /topic/notify/{projectCode}/{username})',
        tags,
        body: {
          type: 'object',
          required: ['projectCode', 'content'],
          properties: { projectCode, username, content: { type: 'string', minLength: 1, maxLength: 4000 } },
        },
      },
    },
    async (req) => {
      await projects().sendToUser(req.body.projectCode, req.body.content, req.body.username);
      return ok();
    },
  );

  app.post<{ Body: { projectCode: string; username: string } }>(
    `${P}/distributionSeat/v1`,
    {
      schema: {
        summary: 'Move an extension into the project',
        tags,
        body: {
          type: 'object',
          required: ['projectCode', 'username'],
          properties: { projectCode, username },
        },
      },
    },
    async (req) => {
      await owned.run('distributionSeat', callerOf(req), req.body);
      return ok();
    },
  );

  app.post<{ Body: { projectCode: string } }>(
    `${P}/finishProject/v1`,
    {
      schema: {
        summary:
          'End the project: end its tasks, hang up its calls, flush registrations, free its extensions',
        tags,
        body: { type: 'object', required: ['projectCode'], properties: { projectCode } },
      },
    },
    async (req) => {
      await projects().finishProject(req.body.projectCode);
      return ok();
    },
  );
}
