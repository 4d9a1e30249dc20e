// Every response is `{data?, reqResult: {code, msg}}` with code 1 on success (spec 接口基础说明).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, OK_MSG } from '../core/errors.js';

export interface Envelope<T> {
  data?: T;
  reqResult: { code: number; msg: string };
}

export const ok = <T>(data?: T): Envelope<T> =>
  data === undefined
    ? { reqResult: { code: 1, msg: OK_MSG } }
    : { data, reqResult: { code: 1, msg: OK_MSG } };

export const failure = (code: number, msg: string): Envelope<never> => ({ reqResult: { code, msg } });

interface AjvError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Turns a JSON-schema failure into a sentence that names the field ("status must be 0 or 1"). */
export function describeValidation(errors: AjvError[], fallbackField = 'request'): string {
  const e = errors[0];
  if (!e) return 'request is invalid';
  const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const field = path || fallbackField;
  const p = e.params;
  switch (e.keyword) {
    case 'required':
      return `${path ? `${path}.` : ''}${String(p.missingProperty)} is required`;
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      const list = allowed.length <= 2 ? allowed.join(' or ') : `one of ${allowed.join(', ')}`;
      return `${field} must be ${list}`;
    }
    case 'type':
      return `${field} must be ${p.type === 'integer' ? 'an integer' : `a ${String(p.type)}`}`;
    case 'minimum':
    case 'exclusiveMinimum':
      return `${field} must be ${e.keyword === 'minimum' ? 'at least' : 'greater than'} ${String(p.limit)}`;
    case 'maximum':
      return `${field} must be at most ${String(p.limit)}`;
    case 'minLength':
      return Number(p.limit) === 1
        ? `${field} must not be empty`
        : `${field} must be at least ${String(p.limit)} characters`;
    case 'maxLength':
      return `${field} must be at most ${String(p.limit)} characters`;
    case 'pattern':
    case 'format':
      return `${field} is not in the expected format`;
    case 'additionalProperties':
      return `${String(p.additionalProperty)} is not a known parameter`;
    default:
      return `${field} ${e.message ?? 'is invalid'}`;
  }
}

export function installEnvelopeHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AppError) {
      if (error.retryAfterS !== undefined) void reply.header('retry-after', String(error.retryAfterS));
      return reply.status(error.http).send(failure(error.code, error.message));
    }
    if (error.validation) {
      const where = error.validationContext === 'querystring' ? 'query' : (error.validationContext ?? 'body');
      return reply.status(400).send(failure(400, describeValidation(error.validation as AjvError[], where)));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // fastify's own client errors: bad JSON, unsupported media type, body too large.
      return reply.status(status).send(failure(status, error.message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(failure(500, 'internal error; the server logged the details'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(failure(404, `no such endpoint: ${request.method} ${request.url.split('?')[0]}`)),
  );
}
