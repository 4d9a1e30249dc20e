// What ajv's coercion lets through, refused before it runs (issue #12 items 6 and 14):
// - numbers: ajv turns "-Infinity", "1e400", "0x10" or a 400-digit string into numbers (and then skips minimum and
//   maximum for some of them), so a project was stored with seats=-Infinity. A numeric parameter must be written as
//   plain decimal digits, finite, within the schema's bounds; JSON numbers must be finite too.
// - names: unknown parameters were silently dropped, so `workstatus=0` (lower case) was a toggle instead of a
//   refusal. A parameter the route does not declare is a 400 naming it.
// Only routes whose schema declares the part (querystring or an object body) are checked. Every bad parameter is
// named, not only the first (issue #17): the problems found here are kept until ajv has run, and the answer lists
// them with ajv's own (envelope.ts); when ajv finds nothing, checkedParams refuses the request with them alone.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalid } from '../core/errors.js';

interface PropSchema {
  type?: string | string[];
  minimum?: number;
  maximum?: number;
}
interface PartSchema {
  properties?: Record<string, PropSchema>;
  /** A body schema per content type (OpenAPI style); the request's own type is the one that applies. */
  content?: Record<string, { schema?: PartSchema }>;
}

/** The body schema for the request's content type, when the route gives one per type. */
function bodySchema(schema: PartSchema | undefined, contentType: string | undefined): PartSchema | undefined {
  if (!schema?.content) return schema;
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return schema.content[type]?.schema;
}

const INTEGER = /^-?\d{1,15}$/;
const DECIMAL = /^-?\d{1,15}(\.\d{1,10})?$/;

/** Parameters signed requests carry in the query besides the route's own (none today; the sign is in headers). */
const ALWAYS_ALLOWED = new Set<string>();

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function numericKind(p: PropSchema): 'integer' | 'number' | null {
  const types = Array.isArray(p.type) ? p.type : [p.type];
  if (types.includes('integer')) return 'integer';
  if (types.includes('number')) return 'number';
  return null;
}

function checkNumber(name: string, value: unknown, p: PropSchema, kind: 'integer' | 'number'): string | null {
  const malformed = `${name} must be ${kind === 'integer' ? 'an integer' : 'a number'}`;
  let n: number;
  if (typeof value === 'string') {
    if (!(kind === 'integer' ? INTEGER : DECIMAL).test(value.trim())) return malformed;
    n = Number(value);
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value) || (kind === 'integer' && !Number.isSafeInteger(value))) return malformed;
    n = value;
  } else if (Array.isArray(value)) {
    return `${name} must be given once`;
  } else return null; // booleans, objects: ajv's type check names them.
  // The same sentences as describeValidation's, which ajv would give for an in-range syntax.
  if (p.minimum !== undefined && n < p.minimum) return `${name} must be at least ${p.minimum}`;
  if (p.maximum !== undefined && n > p.maximum) return `${name} must be at most ${p.maximum}`;
  return null;
}

function checkPart(values: unknown, schema: PartSchema | undefined, problems: string[]): void {
  const props = schema?.properties;
  if (!props || !isPlainObject(values)) return;
  const known = Object.keys(props);
  for (const [name, value] of Object.entries(values)) {
    const p = props[name];
    if (!p) {
      if (ALWAYS_ALLOWED.has(name)) continue;
      const like = known.find((k) => k.toLowerCase() === name.toLowerCase());
      problems.push(`${name.slice(0, 64)} is not a known parameter${like ? ` (did you mean ${like}?)` : ''}`);
      continue;
    }
    const kind = numericKind(p);
    const problem = kind && checkNumber(name, value, p, kind);
    if (problem) problems.push(problem);
  }
}

const found = new WeakMap<FastifyRequest, string[]>();

/** What strictParams found wrong with the request (empty when nothing). */
export const paramProblems = (request: FastifyRequest): string[] => found.get(request) ?? [];

/** preValidation hook: notes every parameter that is not what it claims to be (see above). */
export async function strictParams(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const schema = request.routeOptions.schema as { querystring?: PartSchema; body?: PartSchema } | undefined;
  if (!schema) return;
  const problems: string[] = [];
  checkPart(request.query, schema.querystring, problems);
  checkPart(request.body, bodySchema(schema.body, request.headers['content-type']), problems);
  if (problems.length > 0) found.set(request, problems);
}

/** preHandler hook: ajv found nothing, but strictParams did: the envelope's 400 naming those parameters. */
export async function checkedParams(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const problems = paramProblems(request);
  if (problems.length > 0) throw invalid(problems.join('; '));
}
