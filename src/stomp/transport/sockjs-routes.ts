// SockJS's HTTP side as Spring serves it under /callcenter/ws: /info, and per session xhr (long polling), xhr_send
// and xhr_streaming. Receiving requests are hijacked from fastify because they stay open and are written to as
// messages arrive; xhr_send is an ordinary route.
import { randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { systemClock, type Clock } from '../../core/clock.js';
import type { Broker } from '../types.js';
import { decodeClientPayload, STREAMING_PRELUDE } from './sockjs-frames.js';
import {
  DEFAULT_SOCKJS_TIMINGS,
  SockJsSession,
  type Receiver,
  type SockJsTimings,
} from './sockjs-session.js';

export interface StompHttpOptions {
  broker: Broker;
  clock?: Clock;
  timings?: Partial<SockJsTimings>;
  /** Origins whose pages may use the HTTP transports with credentials (CORS); by default none. */
  allowedOrigins?: readonly string[];
}

interface Params {
  server: string;
  session: string;
}

const NO_CACHE = 'no-store, no-cache, no-transform, must-revalidate, max-age=0';
const ONE_YEAR = 31536000;
/** SockJS ids are any non-empty segment without a dot (sockjs-protocol §Session URLs). */
const ID = /^[^/.]+$/;
/**
 * The session id is the only thing that names a session in the HTTP transports, and the client picks it: we take
 * only ids long enough not to be guessed (sockjs-client makes 8 random characters, Spring's client a UUID), and a
 * session answers only to the address and server segment that created it.
 */
const SESSION_ID = /^[^/.]{8,64}$/;

/**
 * CORS as Spring's SockJS allows it, minus credentials for everyone: an Origin in `allowed` is echoed with
 * credentials; any other gets `*` (no cookies, no HTTP auth), which is all a same-origin page or a non-browser
 * client needs.
 */
function corsHeaders(req: IncomingMessage, allowed: readonly string[]): Record<string, string> {
  const origin = req.headers.origin;
  const headers: Record<string, string> =
    origin && allowed.includes(origin)
      ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' }
      : { 'Access-Control-Allow-Origin': '*' };
  const asked = req.headers['access-control-request-headers'];
  if (asked) headers['Access-Control-Allow-Headers'] = asked;
  return headers;
}

function preflight(methods: string, allowed: readonly string[]) {
  return (req: FastifyRequest, reply: FastifyReply) =>
    reply
      .code(204)
      .headers({
        ...corsHeaders(req.raw, allowed),
        'Access-Control-Allow-Methods': methods,
        'Access-Control-Max-Age': String(ONE_YEAR),
        'Cache-Control': `public, max-age=${ONE_YEAR}`,
        Expires: new Date(Date.now() + ONE_YEAR * 1000).toUTCString(),
      })
      .send();
}

/** Who opened a session: later requests for it must come from the same place. */
interface Creator {
  address: string;
  server: string;
}

/** Sessions of the HTTP transports, by SockJS session id. */
export class SockJsRegistry {
  private readonly sessions = new Map<string, SockJsSession>();
  private readonly creators = new WeakMap<SockJsSession, Creator>();
  constructor(
    private readonly broker: Broker,
    private readonly clock: Clock,
    readonly timings: SockJsTimings,
  ) {}

  get(id: string): SockJsSession | undefined {
    return this.sessions.get(id);
  }

  /** The session, if `creator` is the one that opened it; another client naming its id gets nothing. */
  owned(id: string, creator: Creator): SockJsSession | undefined {
    const session = this.sessions.get(id);
    const c = session && this.creators.get(session);
    return c && c.address === creator.address && c.server === creator.server ? session : undefined;
  }

  create(id: string, transport: string, remoteAddress: string, server = ''): SockJsSession {
    const session = new SockJsSession(
      id,
      this.broker,
      this.clock,
      this.timings,
      { transport, remoteAddress },
      (s) => {
        if (this.sessions.get(s.id) === s) this.sessions.delete(s.id);
      },
    );
    this.sessions.set(id, session);
    this.creators.set(session, { address: remoteAddress, server });
    return session;
  }

  size(): number {
    return this.sessions.size;
  }

  close(): void {
    for (const s of [...this.sessions.values()]) s.destroy();
    this.sessions.clear();
  }
}

function openResponse(res: ServerResponse, req: IncomingMessage, allowed: readonly string[]): void {
  res.writeHead(200, {
    ...corsHeaders(req, allowed),
    'Content-Type': 'application/javascript; charset=UTF-8',
    'Cache-Control': NO_CACHE,
  });
}

function pollingReceiver(res: ServerResponse): Receiver {
  return {
    write(frame) {
      res.end(frame + '\n');
      return false;
    },
    end: () => res.end(),
  };
}

function streamingReceiver(res: ServerResponse, limit: number, alreadySent: number): Receiver {
  let sent = alreadySent;
  return {
    write(frame) {
      res.write(frame + '\n');
      sent += Buffer.byteLength(frame) + 1;
      if (sent < limit) return true;
      // Browsers keep a streaming response's whole text in memory; end it so the client opens a fresh one.
      res.end();
      return false;
    },
    end: () => res.end(),
  };
}

function receiving(
  registry: SockJsRegistry,
  kind: 'xhr-polling' | 'xhr-streaming',
  allowed: readonly string[],
) {
  return (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const { server, session: id } = req.params;
    if (!ID.test(server) || !SESSION_ID.test(id)) return reply.code(404).send('Not Found');
    const existing = registry.get(id);
    const owned = registry.owned(id, { address: req.ip, server });
    // Someone else's session: as if it did not exist, and it is left alone.
    if (existing && !owned) return reply.code(404).send('Not Found');
    reply.hijack();
    const res = reply.raw;
    openResponse(res, req.raw, allowed);
    if (kind === 'xhr-streaming') res.write(STREAMING_PRELUDE);
    const first = !owned;
    const session = owned ?? registry.create(id, kind, req.ip, server);
    const receiver =
      kind === 'xhr-streaming'
        ? streamingReceiver(res, registry.timings.responseLimitBytes, STREAMING_PRELUDE.length)
        : pollingReceiver(res);
    // 'close' on the response fires when it ends or when the client goes away mid-poll.
    const current = session;
    res.on('close', () => current.detach(receiver));
    session.attach(receiver, first);
  };
}

export const stompHttpRoutes: FastifyPluginCallback<StompHttpOptions & { registry?: SockJsRegistry }> = (
  app: FastifyInstance,
  opts,
  done,
) => {
  const timings = { ...DEFAULT_SOCKJS_TIMINGS, ...opts.timings };
  const registry = opts.registry ?? new SockJsRegistry(opts.broker, opts.clock ?? systemClock, timings);
  const allowed = opts.allowedOrigins ?? [];
  // sockjs-client posts xhr_send bodies with any content type (or none): read every body as text, here only.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, parsed) => parsed(null, body));
  app.addHook('preClose', (finish) => {
    registry.close();
    finish();
  });

  app.get('/', (_req, reply) => reply.type('text/plain; charset=UTF-8').send('Welcome to SockJS!\n'));
  app.get('/info', (req, reply) =>
    reply
      .headers({ ...corsHeaders(req.raw, allowed), 'Cache-Control': NO_CACHE })
      .type('application/json; charset=UTF-8')
      .send({ entropy: randomInt(2 ** 31), origins: ['*:*'], cookie_needed: false, websocket: true }),
  );
  app.options('/info', preflight('OPTIONS, GET', allowed));
  for (const [path, kind] of [
    ['/:server/:session/xhr', 'xhr-polling'],
    ['/:server/:session/xhr_streaming', 'xhr-streaming'],
  ] as const) {
    app.post(path, receiving(registry, kind, allowed));
    app.options(path, preflight('OPTIONS, POST', allowed));
  }
  app.post<{ Params: Params; Body: string }>('/:server/:session/xhr_send', (req, reply) => {
    const session = registry.owned(req.params.session, { address: req.ip, server: req.params.server });
    reply.headers(corsHeaders(req.raw, allowed)).type('text/plain; charset=UTF-8');
    if (!session || !session.isOpen()) return reply.code(404).send('Not Found');
    const messages = decodeClientPayload(typeof req.body === 'string' ? req.body : '');
    if ('error' in messages) return reply.code(500).send(messages.error);
    session.deliver(messages);
    return reply.code(204).send();
  });
  app.options('/:server/:session/xhr_send', preflight('OPTIONS, POST', allowed));
  done();
};
