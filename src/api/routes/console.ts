// Browser-facing endpoints of the agent workbench and the manager page (/workbench, /manager). They are NOT
// signed: a browser holds no API secret. Security model:
// - claim: a certificate is the credential (128 random bits, not guessable). The project's `certificate`, which the
//   operator hands to every agent, claims agent seats only; `managerCertificate` claims manager seats. An extension
//   is handed out once: naming one already claimed needs its password (the holder reloading its page); otherwise
//   only the operator (signed getByCertificate) re-issues it, or its holder releases it (POST .../release).
// - everything else: HTTP Basic with an extension and its SIP password, the same credentials the browser already
//   holds for SIP and STOMP, checked against the store. A disabled extension is refused. Managers (type 3) read
//   their own project only; agents act as themselves only.
// No WWW-Authenticate header is sent with a 401: it would make browsers pop their own login dialog over the page.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ExtensionType, WorkStatus } from '../../core/codes.js';
import { forbidden, tooManyAttempts, unauthorized, unavailable } from '../../core/errors.js';
import { ok } from '../envelope.js';
import { normalizeIp } from '../auth.js';
import { passLoginGate } from '../login-gate.js';
import type { ApiContext } from '../context.js';
import { consoleReads, localReads, type ConsoleReads } from '../console-reads.js';

export const CONSOLE_PREFIX = '/callcenter/console';

const projectCode = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } as const;
const username = { type: 'string', minLength: 1, maxLength: 32, pattern: '^[0-9A-Za-z_.-]+$' } as const;
const tags = ['console'];

interface PreviewRequest {
  projectCode: string;
  username: string;
  callTaskCode: string;
  count: number;
}

export interface ConsoleOptions {
  ctx: ApiContext;
  /**
   * The dialer's getCallList (spec 一.23) for preview agents. It must refuse a task of another project than
   * `projectCode`. Absent until the dialer offers it: the endpoint then answers 503 with the reason.
   */
  previewNumbers?: (req: PreviewRequest) => Promise<{ items: { phone: string }[] }>;
  /** /topic/callTaskStatus bodies (spec 三.14) of the project's tasks, for the manager page's first paint. */
  taskStatuses?: (projectCode: string) => Promise<unknown[]>;
  /**
   * The first-paint reads, answered by the project's owner (issue 20; console-reads.ts). Absent: answered here
   * from this instance's view (a lone instance), tasks through `taskStatuses`.
   */
  reads?: ConsoleReads;
}

/** Where the answer's live state came from (console-reads.ts StateFrom); an extension header of ours. */
export const STATE_FROM_HEADER = 'x-cc-state-from';

/** Who sent the request, from its Basic credentials. */
interface ConsoleUser {
  username: string;
  projectCode: string;
  type: number;
}

/** `user:password` of an `Authorization: Basic ...` header, or undefined when there is none usable. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function samePassword(given: string, stored: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The extension the request authenticates as; throws the envelope's 401/403 (429 while locked out) otherwise. */
async function authenticate(ctx: ApiContext, request: FastifyRequest): Promise<ConsoleUser> {
  const creds = basicCredentials(request.headers.authorization);
  if (!creds) throw unauthorized('log in with the extension and its SIP password (HTTP Basic)');
  const address = normalizeIp(request.ip);
  const locked = await passLoginGate(ctx, creds.user, address);
  if (locked) throw tooManyAttempts(locked.message, locked.retryAfterS);
  const entry = ctx.services.agents.get(creds.user);
  const ext = entry && (await ctx.repos.extensions.byUsername(creds.user));
  if (!entry || !ext || !samePassword(creds.password, ext.password)) {
    ctx.logins.failed(creds.user, address);
    request.log.warn({ login: creds.user.slice(0, 64), ip: address }, 'console login failed');
    throw unauthorized('extension or password is wrong');
  }
  ctx.logins.succeeded(creds.user);
  if (ext.workStatus === WorkStatus.disabled) throw forbidden(`extension ${ext.username} is disabled`);
  return { username: entry.username, projectCode: entry.projectCode, type: entry.type };
}

export async function managerOf(
  ctx: ApiContext,
  request: FastifyRequest,
  project: string,
): Promise<ConsoleUser> {
  const user = await authenticate(ctx, request);
  if (user.type !== ExtensionType.manager) throw forbidden(`extension ${user.username} is not a manager`);
  if (user.projectCode !== project)
    throw forbidden(`manager ${user.username} does not belong to project ${project}`);
  return user;
}

export const consoleRoutes: FastifyPluginAsync<ConsoleOptions> = async (app, opts) => {
  const { ctx } = opts;
  const reads =
    opts.reads ?? consoleReads({ ctx, local: localReads(ctx, { taskStatuses: opts.taskStatuses }) });

  app.post<{ Body: { certificate: string; type: 2 | 3; username?: string; password?: string } }>(
    `${CONSOLE_PREFIX}/claim`,
    {
      schema: {
        summary:
          'Claim an extension with the project certificate (unsigned; the certificate is the credential)',
        tags,
        body: {
          type: 'object',
          required: ['certificate', 'type'],
          properties: {
            certificate: { type: 'string', minLength: 1, maxLength: 64 },
            type: { type: 'integer', enum: [2, 3] },
            username,
            password: { type: 'string', minLength: 1, maxLength: 64 },
          },
        },
      },
    },
    async (req) => {
      const { certificate, type, username, password } = req.body;
      // Only a claim naming an extension with its password checks a password: that account is gated; any
      // claim's wrong certificate or password counts towards its address's tarpit.
      const login = password === undefined ? undefined : username;
      const address = normalizeIp(req.ip);
      const locked = await passLoginGate(ctx, login, address);
      if (locked) throw tooManyAttempts(locked.message, locked.retryAfterS);
      const onWrongCredential = (what: string) => {
        ctx.logins.failed(login, address);
        req.log.warn({ login: login?.slice(0, 64), ip: address, what }, 'console claim: wrong credential');
      };
      return ok(
        await ctx.services.projects.getByCertificate(certificate, type, username, {
          operator: false,
          password,
          onWrongCredential,
        }),
      );
    },
  );

  app.post(
    `${CONSOLE_PREFIX}/release`,
    { schema: { summary: 'Give the claimed extension back so it can be claimed again (Basic)', tags } },
    async (req) => {
      await ctx.services.projects.release((await authenticate(ctx, req)).username);
      return ok();
    },
  );

  app.get<{ Querystring: { projectCode: string } }>(
    `${CONSOLE_PREFIX}/extensions`,
    {
      schema: {
        summary: "The project's extensions as /topic/callExtStatus rows (Basic: a manager of the project)",
        tags,
        querystring: { type: 'object', required: ['projectCode'], properties: { projectCode } },
      },
    },
    async (req, reply) => {
      const user = await managerOf(ctx, req, req.query.projectCode);
      const r = await reads.read('extensions', user, req.query.projectCode);
      reply.header(STATE_FROM_HEADER, r.from);
      return ok(r.data);
    },
  );

  app.get<{ Querystring: { projectCode: string } }>(
    `${CONSOLE_PREFIX}/owner`,
    {
      schema: {
        summary: 'Which instance owns the project now (issue 20; Basic: a manager of the project)',
        tags,
        querystring: { type: 'object', required: ['projectCode'], properties: { projectCode } },
      },
    },
    async (req) => {
      await managerOf(ctx, req, req.query.projectCode);
      const me = ctx.config.cluster.instanceId;
      // A lone instance owns every project; in a cluster null while no instance holds it (a take-over under way).
      const owner = ctx.ownership ? (ctx.ownership.ownerOf(req.query.projectCode)?.id ?? null) : me;
      return ok({ instance: owner, servedBy: me });
    },
  );

  app.get<{ Querystring: { projectCode: string } }>(
    `${CONSOLE_PREFIX}/tasks`,
    {
      schema: {
        summary: "The project's tasks as /topic/callTaskStatus bodies (Basic: a manager of the project)",
        tags,
        querystring: { type: 'object', required: ['projectCode'], properties: { projectCode } },
      },
    },
    async (req, reply) => {
      const user = await managerOf(ctx, req, req.query.projectCode);
      const r = await reads.read('tasks', user, req.query.projectCode);
      reply.header(STATE_FROM_HEADER, r.from);
      return ok(r.data);
    },
  );

  app.get<{ Querystring: { callTaskCode: string; count: number } }>(
    `${CONSOLE_PREFIX}/callList`,
    {
      schema: {
        summary: 'Numbers of a preview task for the calling agent (getCallList; Basic: the agent)',
        tags,
        querystring: {
          type: 'object',
          required: ['callTaskCode'],
          properties: {
            callTaskCode: { type: 'string', minLength: 1, maxLength: 64 },
            count: { type: 'integer', minimum: 1, maximum: 50, default: 5 },
          },
        },
      },
    },
    async (req) => {
      const user = await authenticate(ctx, req);
      if (user.type !== ExtensionType.agent) throw forbidden(`extension ${user.username} is not an agent`);
      if (!opts.previewNumbers)
        throw unavailable('preview dialling (getCallList) is not offered by this server yet');
      return ok(
        await opts.previewNumbers({
          projectCode: user.projectCode,
          username: user.username,
          callTaskCode: req.query.callTaskCode,
          count: req.query.count,
        }),
      );
    },
  );

  app.get(
    `${CONSOLE_PREFIX}/status`,
    {
      schema: {
        summary:
          "The caller's own extension as a /topic/callExtStatus row, for a page's first paint, from the project's owner (Basic)",
        tags,
      },
    },
    async (req, reply) => {
      const user = await authenticate(ctx, req);
      // Answered by the project's owner: another instance's view of the agent's work status can be stale.
      const r = await reads.read('status', user, user.projectCode);
      reply.header(STATE_FROM_HEADER, r.from);
      return ok({ ...(r.data as object), stateFrom: r.from });
    },
  );
};
