// Where log lines go and in which shape (issue #17): JSON for machines (a file, journald, a collector) and
// human-readable lines when someone watches a terminal. The pretty lines come from pino-pretty, the pino project's
// own formatter, run in this thread with synchronous writes (no transport worker: the bundle stays simple and no
// line is lost at exit). Requests are logged at debug: at info, an idle server with a page open printed about 220
// request lines in 70 s, burying what an operator needs to see.
import type { FastifyInstance } from 'fastify';
import pretty from 'pino-pretty';

/** A destination writing `[HH:MM:ss.l] LEVEL: message` lines (fields indented below) to stdout or `destination`. */
export const prettyLogStream = (destination: NodeJS.WritableStream | number = 1, colorize = true) =>
  pretty({ colorize, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination });

/** Each request's arrival and answer, at debug (fastify's own request logging, at info, is turned off). */
export function logRequestsAtDebug(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    request.log.debug({ req: request }, 'incoming request');
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  });
}
