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
}

interface Params {
  server: string;
  session: string;
}

const NO_CACHE = 'no-store, no-cache, no-transform, must-revalidate, max-age=0';
const ONE_YEAR = 31536000;
/** SockJS ids are any non-empty segment without a dot (sockjs-protocol §Session URLs). */
const ID = /^[^/.]+$/;

function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': origin && origin !== 'null' ? origin : '*',
    'Access-Control-Allow-Credentials': 'true',
  };
  const asked = req.headers['access-control-request-headers'];
  if (asked) headers['Access-Control-Allow-Headers'] = asked;
  return headers;
}

function preflight(methods: string) {
  return (req: FastifyRequest, reply: FastifyReply) =>
    reply
      .code(204)
      .headers({
        ...corsHeaders(req.raw),
        'Access-Control-Allow-Methods': methods,
        'Access-Control-Max-Age': String(ONE_YEAR),
        'Cache-Control': `public, max-age=${ONE_YEAR}`,
        Expires: new Date(Date.now() + ONE_YEAR * 1000).toUTCString(),
      })
      .send();
}

/** Sessions of the HTTP transports, by SockJS session id. */
export class SockJsRegistry {
  private readonly sessions = new Map<string, SockJsSession>();
  constructor(
    private readonly broker: Broker,
    private readonly clock: Clock,
    readonly timings: SockJsTimings,
  ) {}

  get(id: string): SockJsSession | undefined {
    return this.sessions.get(id);
  }

  create(id: string, transport: string, remoteAddress: string): SockJsSession {
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

function openResponse(res: ServerResponse, req: IncomingMessage): void {
  res.writeHead(200, {
    ...corsHeaders(req),
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

function receiving(registry: SockJsRegistry, kind: 'xhr-polling' | 'xhr-streaming') {
  return (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const { server, session: id } = req.params;
    if (!ID.test(server) || !ID.test(id)) return reply.code(404).send('Not Found');
    reply.hijack();
    const res = reply.raw;
    openResponse(res, req.raw);
    if (kind === 'xhr-streaming') res.write(STREAMING_PRELUDE);
    let session = registry.get(id);
    const first = !session;
    session ??= registry.create(id, kind, req.ip);
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
      .headers({ ...corsHeaders(req.raw), 'Cache-Control': NO_CACHE })
      .type('application/json; charset=UTF-8')
      .send({ entropy: randomInt(2 ** 31), origins: ['*:*'], cookie_needed: false, websocket: true }),
  );
  app.options('/info', preflight('OPTIONS, GET'));
  for (const [path, kind] of [
    ['/:server/:session/xhr', 'xhr-polling'],
    ['/:server/:session/xhr_streaming', 'xhr-streaming'],
  ] as const) {
    app.post(path, receiving(registry, kind));
    app.options(path, preflight('OPTIONS, POST'));
  }
  app.post<{ Params: Params; Body: string }>('/:server/:session/xhr_send', (req, reply) => {
    const session = registry.get(req.params.session);
    reply.headers(corsHeaders(req.raw)).type('text/plain; charset=UTF-8');
    if (!session || !session.isOpen()) return reply.code(404).send('Not Found');
    const messages = decodeClientPayload(typeof req.body === 'string' ? req.body : '');
    if ('error' in messages) return reply.code(500).send(messages.error);
    session.deliver(messages);
    return reply.code(204).send();
  });
  app.options('/:server/:session/xhr_send', preflight('OPTIONS, POST'));
  done();
};
