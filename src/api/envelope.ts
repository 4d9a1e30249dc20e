// Every response is `{data?, reqResult: {code, msg}}` with code 1 on success (spec 接口基础说明).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, OK_MSG } from '../core/errors.js';
import { patternInWords } from './pattern-words.js';
import { paramProblems } from './strict-params.js';

interface Envelope<T> {
  data?: T;
  reqResult: { code: number; msg: string };
}

/** A promise is never an answer's data: the storage ports are asynchronous, and `ok(promise)` would send `{}`. */
type NotAPromise<T> = T extends PromiseLike<unknown> ? never : T;

export const ok = <T>(data?: NotAPromise<T>): Envelope<T> =>
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

/** At most this many bad fields are named in one answer (the rest are summed up). */
const MAX_FIELDS_NAMED = 10;

/**
 * Turns JSON-schema failures into sentences that name each bad field ("status must be 0 or 1; gwName is
 * required"), one per field (ajv runs with allErrors, issue #17: a submit with five bad fields named one).
 */
function describeValidation(errors: AjvError[], fallbackField = 'request'): string {
  if (errors.length === 0) return 'request is invalid';
  const byField = new Map<string, string>();
  for (const e of errors) {
    const key =
      e.keyword === 'required' ? `${e.instancePath}/${String(e.params.missingProperty)}` : e.instancePath;
    if (!byField.has(key)) byField.set(key, describeOne(e, fallbackField));
  }
  const sentences = [...byField.values()];
  const more = sentences.length - MAX_FIELDS_NAMED;
  return more > 0
    ? `${sentences.slice(0, MAX_FIELDS_NAMED).join('; ')}; and ${more} more`
    : sentences.join('; ');
}

function describeOne(e: AjvError, fallbackField: string): string {
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
      return `${field} must be ${patternInWords(String(p.pattern))}`;
    case 'format':
      return `${field} must be a valid ${String(p.format)}`;
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
      // strict-params' findings first (they name the raw value's problem), then ajv's for the other fields.
      const ours = paramProblems(request);
      const theirs = describeValidation(error.validation as AjvError[], where)
        .split('; ')
        .filter((sentence) => !ours.some((o) => o.split(' ')[0] === sentence.split(' ')[0]));
      return reply.status(400).send(failure(400, [...ours, ...theirs].join('; ')));
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
