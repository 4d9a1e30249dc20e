// The HTTP server the API, the pages, the FreeSWITCH callbacks and STOMP's WebSocket and SockJS share: fastify with
// our logger (secrets redacted) and body parsing rules, and every route registered in one place (registerRoutes).
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from '../config.js';
import { TaskStatus } from '../core/codes.js';
import { notFound } from '../core/errors.js';
import type { DialingArea } from '../dialer/area.js';
import type { RecordingUploader } from '../storage/uploader.js';
import { attachStomp, type Broker } from '../stomp/index.js';
import type { Wallboard } from '../supervisor/wallboard.js';
import type { ApiContext } from './context.js';
import { clientAddress } from './client-address.js';
import { trustedProxies } from '../core/trusted-proxies.js';
import { consoleReads, localReads } from './console-reads.js';
import { installEnvelopeHandlers } from './envelope.js';
import { cdrRoutes } from './freeswitch/cdr-route.js';
import { directoryLookup } from './freeswitch/directory.js';
import { freeswitchRoutes } from './freeswitch/routes.js';
import { logSerializers } from './log-redaction.js';
import { openApiOptions } from './openapi.js';
import { pageRoutes } from './pages.js';
import { callListRoutes } from './routes/call-lists.js';
import { callLogExportRoutes } from './routes/call-log-export.js';
import { callLogRoutes } from './routes/call-logs.js';
import { consoleReportRoutes } from './routes/console-reports.js';
import { consoleRoutes } from './routes/console.js';
import { dncRoutes } from './routes/dnc.js';
import { healthRoutes } from './routes/health.js';
import { signedApi } from './routes/index.js';
import { projectRoutes } from './routes/projects.js';
import { reportRoutes } from './routes/reports.js';
import { taskRoutes } from './routes/tasks.js';
import { voiceRoutes } from './routes/voices.js';
import { checkedParams, strictParams } from './strict-params.js';
import { logRequestsAtDebug, prettyLogStream } from './log-output.js';
import { BODY_LIMIT_BYTES, capConnections, requestTimeoutOptions } from './connection-limits.js';
import type { Metrics } from '../core/metrics.js';

/** Log redaction: signatures, credentials and SIP/API secrets never reach the logs. */
const REDACT = [
  'req.headers.sign',
  'req.headers.authorization',
  '*.password',
  '*.secret',
  '*.eslPassword',
  '*.passcode',
  '*.certificate',
  '*.managerCertificate',
  // The log object's own keys (`log.info({ password })`: `*.x` does not match the top level) and one level
  // deeper (a logged row nested in it, `{ gateway: { password } }`).
  'password',
  'secret',
  'eslPassword',
  'passcode',
  'certificate',
  'managerCertificate',
  '*.*.password',
  '*.*.secret',
  '*.*.eslPassword',
  '*.*.passcode',
  '*.*.certificate',
  '*.*.managerCertificate',
];

/** The logger at config.logLevel: secrets redacted from objects (REDACT) and from request URLs. */
export const loggerOptions = (config: Config) => ({
  level: config.logLevel,
  redact: { paths: REDACT, censor: '[redacted]' },
  serializers: logSerializers,
  ...(config.logFormat === 'pretty' ? { stream: prettyLogStream() } : {}),
});

export function createHttp(
  config: Config,
  opts: {
    logger?: FastifyServerOptions['logger'];
    /** Serve HTTPS (and so WSS) with this certificate and key (PEM). */
    tls?: { cert: string; key: string };
  },
  metrics: Metrics,
): FastifyInstance {
  const proxies = trustedProxies(config.trustedProxies);
  const http = Fastify({
    https: opts.tls ? { cert: opts.tls.cert, key: opts.tls.key } : null,
    // request.ip is the client's behind a trusted proxy only (client-address.ts): the same rule as STOMP's.
    trustProxy: proxies.any ? (address: string) => proxies.trusts(address) : false,
    logger: opts.logger ?? loggerOptions(config),
    bodyLimit: BODY_LIMIT_BYTES,
    logController: new LogController({ disableRequestLogging: true }), // logRequestsAtDebug in registerRoutes
    ...requestTimeoutOptions(config.limits.requestTimeoutMs),
    ajv: {
      customOptions: { coerceTypes: 'array', removeAdditional: true, useDefaults: true, allErrors: true },
    },
  });
  capConnections(http.server, { ...config.limits, proxies }, metrics);
  return http;
}

interface RouteDeps {
  ctx: ApiContext;
  dialing: DialingArea;
  broker: Broker;
  wallboard: Wallboard;
  recordings?: RecordingUploader;
  /** The call's outcome is (or is about to be) written by its flow, not by a CDR. */
  flowOwns(callId: string): boolean;
  /** Serve /workbench, /manager and their console endpoints. */
  pages: boolean;
}

/** Every route, hook and transport of the HTTP server, in the order they must be registered. */
export async function registerRoutes(http: FastifyInstance, d: RouteDeps): Promise<void> {
  const { ctx } = d;
  const { config, clock, repos } = ctx;
  const { tasks, callLists, dnc, numbers } = d.dialing;
  await http.register(formbody);
  await http.register(swagger, openApiOptions(config.signWindowMs));
  await http.register(swaggerUi, { routePrefix: '/docs' });
  installEnvelopeHandlers(http);
  // Form clients send empty fields for "not given"; treat them as absent so optional fields stay optional.
  http.addHook('preValidation', async (request) => {
    for (const part of [request.body, request.query])
      if (part && typeof part === 'object')
        for (const [k, v] of Object.entries(part)) if (v === '') delete (part as Record<string, unknown>)[k];
  });
  logRequestsAtDebug(http);
  http.addHook('preValidation', strictParams);
  http.addHook('preHandler', checkedParams);
  http.addHook('onSend', async (_req, reply, payload) => {
    // The spec's responses are application/json;charset=UTF-8.
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('application/json'))
      reply.header('content-type', 'application/json;charset=UTF-8');
    return payload;
  });

  await http.register(healthRoutes, { ctx, startedAt: clock.now() });
  await http.register(freeswitchRoutes, { ctx, directory: directoryLookup(repos) });
  await http.register(cdrRoutes, {
    ctx,
    recordings: d.recordings,
    flowOwns: d.flowOwns,
    settleNumber: (callUuid, detail) => numbers.settleByCall(callUuid, detail, clock.now()),
  });
  await http.register(signedApi, {
    ctx,
    extra: [
      projectRoutes,
      voiceRoutes,
      taskRoutes(tasks),
      callListRoutes(callLists),
      callLogRoutes(repos.tasks),
      dncRoutes(dnc),
      reportRoutes(),
      callLogExportRoutes,
    ],
  });
  const proxies = trustedProxies(config.trustedProxies);
  attachStomp(http, d.broker, {
    clock,
    allowedOrigins: config.stompOrigins,
    clientAddress: (req) => clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], proxies),
  });
  if (!d.pages) return;
  // The agent workbench and the manager page, with the few unsigned endpoints they need (src/pages/README.md).
  const taskStatuses = async (projectCode: string) => {
    const project = await repos.projects.activeByCode(projectCode);
    if (!project) return [];
    const own = (await repos.tasks.inStates(Object.values(TaskStatus))).filter(
      (t) => t.projectId === project.id,
    );
    return Promise.all(own.map((t) => tasks.statusOf(t)));
  };
  // A page's first-paint reads, answered at the project's owner (issue 20; other instances ask it over the bus).
  const reads = consoleReads({
    ctx,
    local: localReads(ctx, { taskStatuses, wallboard: d.wallboard }),
    remote: ctx.reads,
    log: http.log,
  });
  await http.register(consoleRoutes, {
    ctx,
    reads,
    previewNumbers: async ({ projectCode, username, callTaskCode, count }) => {
      const task = await repos.tasks.byCode(callTaskCode);
      if (!task || (await repos.projects.get(task.projectId))?.projectCode !== projectCode)
        throw notFound(`task ${callTaskCode} is not a task of project ${projectCode}`);
      return tasks.getCallList(callTaskCode, count, username);
    },
  });
  await http.register(consoleReportRoutes, { ctx, reads });
  await http.register(pageRoutes);
}
