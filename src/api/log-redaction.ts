// What request logs may show. pino's redact paths cover headers and objects, but a secret in the query string
// (getByCertificate?certificate=...) is part of `req.url`, which fastify logs with every request.
import type { FastifyRequest } from 'fastify';

const SECRET_PARAMS = /([?&](?:certificate|managerCertificate|password|secret|passcode|sign|nonce)=)[^&#]*/gi;

/** The URL with the values of secret-bearing query parameters replaced. */
const redactUrl = (url: string): string => url.replace(SECRET_PARAMS, '$1[redacted]');

/** fastify's default `req` serializer, with the URL redacted. */
export const logSerializers = {
  req: (request: FastifyRequest) => ({
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }),
};
