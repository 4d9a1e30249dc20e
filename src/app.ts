// buildApp(config, deps): the whole system, built but not started (style.md §5). main.ts starts it; tests build
// their own per test with ':memory:' SQLite and a FakeClock.
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';
import { systemClock, type Clock } from './core/clock.js';
import { EventHub } from './core/events.js';
import { Metrics } from './core/metrics.js';
import type { Store } from './db/database.js';
import { createRepos } from './db/repos/index.js';
import { GatewayUsage } from './dialer/gateway-usage.js';
import type { ApiContext } from './api/context.js';
import { installEnvelopeHandlers } from './api/envelope.js';
import { freeswitchRoutes, type DirectoryLookup } from './api/freeswitch/routes.js';
import { healthRoutes } from './api/routes/health.js';
import { signedApi } from './api/routes/index.js';

export interface AppDeps {
  store: Store;
  clock?: Clock;
  /** Fastify logger options; defaults to pino at config.logLevel with secrets redacted. */
  logger?: FastifyServerOptions['logger'];
}

export interface App {
  http: FastifyInstance;
  ctx: ApiContext;
  events: EventHub;
  /** Stops every component and waits for in-flight work; the caller closes the store afterwards. */
  close(): Promise<void>;
}

/** Log redaction: signatures, credentials and SIP/API secrets never reach the logs. */
export const REDACT = [
  'req.headers.sign',
  'req.headers.authorization',
  '*.password',
  '*.secret',
  '*.eslPassword',
  '*.passcode',
];

export async function buildApp(config: Config, deps: AppDeps): Promise<App> {
  const clock = deps.clock ?? systemClock;
  const http = Fastify({
    logger: deps.logger ?? { level: config.logLevel, redact: { paths: REDACT, censor: '[redacted]' } },
    bodyLimit: 5 * 1024 * 1024,
    ajv: {
      customOptions: { coerceTypes: 'array', removeAdditional: true, useDefaults: true, allErrors: false },
    },
  });
  const metrics = new Metrics();
  const events = new EventHub((err) => http.log.error({ err }, 'event listener failed'));
  const repos = createRepos(deps.store.db);
  const directory: DirectoryLookup = () => null;
  const ctx: ApiContext = {
    config,
    clock,
    repos,
    gatewayUsage: new GatewayUsage(),
    metrics,
    events: { gatewaysChanged: () => events.emit('gatewaysChanged') },
  };

  await http.register(formbody);
  await http.register(swagger, {
    openapi: {
      info: {
        title: 'callcenter API',
        version: '1',
        description:
          'Signed with headers account, timestamp (ms) and sign = MD5(account + timestamp + secret). Every response is {data?, reqResult:{code,msg}}; code 1 is success.',
      },
    },
  });
  await http.register(swaggerUi, { routePrefix: '/docs' });
  installEnvelopeHandlers(http);
  // Form clients send empty fields for "not given"; treat them as absent so optional fields stay optional.
  http.addHook('preValidation', async (request) => {
    for (const part of [request.body, request.query])
      if (part && typeof part === 'object')
        for (const [k, v] of Object.entries(part)) if (v === '') delete (part as Record<string, unknown>)[k];
  });
  http.addHook('onSend', async (_req, reply, payload) => {
    // The spec's responses are application/json;charset=UTF-8.
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('application/json'))
      reply.header('content-type', 'application/json;charset=UTF-8');
    return payload;
  });

  await http.register(healthRoutes, { ctx, sqlite: deps.store.sqlite, startedAt: clock.now() });
  await http.register(freeswitchRoutes, { ctx, directory });
  await http.register(signedApi, { ctx });

  return {
    http,
    ctx,
    events,
    async close() {
      await http.close();
    },
  };
}
