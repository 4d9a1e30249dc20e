// What /docs (OpenAPI + Swagger UI) says about the API beyond each route's own schema (issue #17 item 13):
// - the signature (spec 接口基础说明) as security schemes, required on the routes of the signed API only (marked by
//   `markSigned`, an onRoute hook of that plugin), so "Authorize" in Swagger UI can try a signed call;
// - the `{data, reqResult}` envelope as every route's response, success and failure;
// - request bodies as the spec posts them: a form first (and multipart where a file is taken), JSON second;
// - SockJS's transport routes under their own tag (not "default"): they are the STOMP client's business.
// Only the document changes here: fastify never sees these response schemas, so nothing is filtered on the wire.
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { FastifySchema, RouteOptions } from 'fastify';
import { OK_MSG } from '../core/errors.js';

type Json = Record<string, unknown>;

const SOCKJS_TAG = 'stomp-sockjs-transport';
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/** The security requirement of a signed route: the spec's MD5 sign, or an account's strict HMAC with a nonce. */
const SIGNED_SECURITY = [
  { account: [], timestamp: [], sign: [] },
  { account: [], timestamp: [], nonce: [], sign: [] },
];

/** onRoute hook of the signed API's plugin: its routes require the signature headers in the document. */
export function markSigned(route: RouteOptions): void {
  route.schema = { ...route.schema, security: SIGNED_SECURITY } as FastifySchema;
}

const reqResult = (code: Json, msg: Json): Json => ({
  type: 'object',
  required: ['code', 'msg'],
  properties: { code: { type: 'integer', ...code }, msg: { type: 'string', ...msg } },
});

const envelope = (description: string, result: Json, data?: Json): Json => ({
  description,
  type: 'object',
  required: ['reqResult'],
  properties: { ...(data ? { data } : {}), reqResult: result },
});

/** The envelope's two shapes, once in components.schemas; each response refers to them. */
const SCHEMAS = {
  Success: envelope(
    'reqResult.code is 1; data is the result the spec describes for the endpoint',
    reqResult({ enum: [1], example: 1 }, { example: OK_MSG }),
    {
      description: "The endpoint's result (an object or a list; absent when there is none)",
      oneOf: [{ type: 'object' }, { type: 'array', items: {} }],
    },
  ),
  Failure: envelope(
    'reqResult.code is not 1 and msg says why; data is absent',
    reqResult(
      {
        description: 'The error: 400, 401, 403, 404, 409, 413, 429, 500, 503 (as the HTTP status)',
        example: 400,
      },
      { description: 'What went wrong, naming the field or header', example: 'projectCode is required' },
    ),
  ),
};
const response = (description: string, schema: keyof typeof SCHEMAS): Json => ({
  description,
  content: { [JSON_TYPE]: { schema: { $ref: `#/components/schemas/${schema}` } } },
});
const SUCCESS = response('Success: the envelope with reqResult.code 1 and the data', 'Success');
const failureOf = (why: string) => response(`${why}: the envelope with reqResult.code != 1`, 'Failure');

/** Routes whose success is not the envelope; their failures still are. */
const NOT_ENVELOPED: Record<string, Json> = {
  '/metrics': {
    description: 'Counters in the Prometheus text format',
    content: { 'text/plain': { schema: { type: 'string' } } },
  },
  '/callcenter/callLog/api/export/v1': {
    description: 'The call logs as CSV (UTF-8 with a BOM), sent as an attachment',
    content: { 'text/csv': { schema: { type: 'string' } } },
  },
};

/** Routes that also take a multipart upload (field `file`), with the form fields sent beside it. */
const MULTIPART: Record<string, Record<string, Json>> = {
  '/callcenter/callProject/api/uploadVoiceFile/v1': {
    voiceCode: { type: 'string', maxLength: 64 },
    file: { type: 'string', format: 'binary', description: 'A .wav or .mp3 file' },
  },
  '/callcenter/callList/api/append/v1': {
    callListId: { type: 'integer', minimum: 1 },
    file: {
      type: 'string',
      format: 'binary',
      description: 'CSV, one phone number per line (a header row is allowed)',
    },
  },
  '/callcenter/dnc/api/add/v1': {
    projectCode: { type: 'string', description: 'The project list; absent: the global list' },
    note: { type: 'string', maxLength: 200 },
    file: { type: 'string', format: 'binary', description: 'CSV, one phone number per line' },
  },
  '/callcenter/dnc/api/remove/v1': {
    projectCode: { type: 'string', description: 'The project list; absent: the global list' },
    file: { type: 'string', format: 'binary', description: 'CSV, one phone number per line' },
  },
};
const multipartRequired = ['file'];

/** A form carries text: a field without a type (a JSON array or object written as text) is a string field. */
function asFormSchema(schema: Json): Json {
  const props = (schema.properties ?? {}) as Record<string, Json>;
  return {
    ...schema,
    properties: Object.fromEntries(
      Object.entries(props).map(([k, p]) => [k, p.type === undefined ? { type: 'string', ...p } : p]),
    ),
  };
}

/** The body as the spec posts it: the form first (Swagger UI opens on the first), then JSON, then multipart. */
function documentedBody(body: Json, url: string): Json {
  const given = (body.content as Record<string, { schema: Json }> | undefined) ?? {
    [JSON_TYPE]: { schema: body },
  };
  const plain = given[FORM]?.schema ?? given[JSON_TYPE]?.schema ?? body;
  const content: Record<string, { schema: Json }> = {
    [FORM]: { schema: asFormSchema(plain) },
    [JSON_TYPE]: given[JSON_TYPE] ?? { schema: plain },
  };
  const upload = MULTIPART[url];
  if (upload)
    content['multipart/form-data'] = {
      schema: { type: 'object', required: multipartRequired, properties: upload },
    };
  return { content };
}

function documentedResponses(url: string, signed: boolean, takesInput: boolean): Json {
  const responses: Json = { 200: NOT_ENVELOPED[url] ?? SUCCESS };
  if (takesInput || signed) responses[400] = failureOf('A parameter is missing or invalid (msg names it)');
  if (signed) {
    responses[401] = failureOf(
      'The credentials are missing or wrong (a signature header, a timestamp outside the window, an unknown account, a sign that does not match; Basic credentials)',
    );
    responses[403] = failureOf(
      'The account or extension may not do this (disabled, expired, another project, an address not allowed)',
    );
  }
  responses.default = failureOf(
    'Any other failure (404 not found, 409 conflict, 429 too many attempts, 503...)',
  );
  return responses;
}

/** @fastify/swagger's per-route transform: hides SockJS, documents bodies and responses. */
function documentRoute({ schema, url }: { schema: FastifySchema; url: string }): {
  schema: FastifySchema;
  url: string;
} {
  const s = (schema ?? {}) as Json;
  // SockJS's own HTTP transport (/info, xhr, xhr_send...) under the STOMP endpoint: used by sockjs-client only.
  if (url === '/callcenter/ws' || url.startsWith('/callcenter/ws/'))
    return { schema: { ...s, hide: true }, url };
  if (s.hide) return { schema, url };
  const takesInput = Boolean(s.body || s.querystring || s.params);
  // The pages' endpoints take HTTP Basic as an extension, except the claim that hands those credentials out.
  const basic = url.startsWith('/callcenter/console/') && url !== '/callcenter/console/claim';
  const documented: Json = {
    ...s,
    ...(basic ? { security: [{ extension: [] }] } : {}),
    response: documentedResponses(url, Array.isArray(s.security) || basic, takesInput),
  };
  if (s.body) documented.body = documentedBody(s.body as Json, url);
  return { schema: documented as FastifySchema, url };
}

const SIGN_HOWTO = (windowS: number) =>
  [
    'Every endpoint under /callcenter/*/api and /freeswitch/gateway/api is signed with three headers (spec 接口基础说明):',
    '',
    '- `account`: the API account (`npm run cli -- account add NAME` prints its secret once)',
    `- \`timestamp\`: the current time in **milliseconds** since the epoch, within ±${windowS} s of the server's clock`,
    '- `sign` = MD5(account + timestamp + secret): lower-case hex of the three strings joined, nothing between',
    '',
    'To try a call here, compute the headers in a shell and paste them into **Authorize** (they stay valid for the window):',
    '',
    '```',
    'account=crm; secret=THE-SECRET; ts=$(date +%s%3N)',
    'echo "timestamp=$ts sign=$(printf %s "$account$ts$secret" | md5sum | cut -d" " -f1)"',
    '```',
    '',
    'An account switched to strict signing (`account sign-mode NAME strict`) adds a `nonce` header (16-64 of A-Z a-z 0-9 _ -, used once) and signs',
    '`HMAC-SHA256(secret, account \\n timestamp \\n nonce \\n METHOD \\n path?query \\n hex SHA-256(body))`; see the README.',
    '',
    'Bodies are posted as `application/x-www-form-urlencoded; charset=UTF-8` as the spec says (JSON is accepted too); array fields',
    '(`callGWs`, `numbers`...) are JSON text in a form field. Every response is `{data?, reqResult: {code, msg}}`; code 1 is success,',
    'and any other code comes with an HTTP 4xx/5xx status and a msg naming the field.',
  ].join('\n');

const header = (name: string, description: string) =>
  ({ type: 'apiKey', in: 'header', name, description }) as const;

/** The options of @fastify/swagger: the document's head, the signature's schemes, the tags, and documentRoute. */
export function openApiOptions(signWindowMs: number): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      info: {
        title: 'callcenter API',
        version: '1',
        description: SIGN_HOWTO(Math.round(signWindowMs / 1000)),
      },
      components: {
        schemas: SCHEMAS,
        securitySchemes: {
          account: header('account', 'The API account'),
          timestamp: header(
            'timestamp',
            'Milliseconds since the epoch (e.g. 1767225600000), close to the server clock',
          ),
          sign: header(
            'sign',
            'hex MD5(account + timestamp + secret); for a strict account, the HMAC-SHA256 above',
          ),
          nonce: header('nonce', 'Strict accounts only: 16-64 characters, never reused'),
          extension: {
            type: 'http',
            scheme: 'basic',
            description:
              'The console endpoints: an extension and its SIP password (from /callcenter/console/claim)',
          },
        },
      },
      tags: [
        { name: 'project', description: 'Projects, extensions, agents (spec 一)' },
        { name: 'task', description: 'Call tasks (spec 一)' },
        { name: 'callList', description: 'Extension: call lists of numbers' },
        { name: 'callLog', description: 'Call logs and their export' },
        { name: 'voice', description: 'Voice prompts' },
        { name: 'gateway', description: 'SIP gateways (spec 二)' },
        { name: 'doNotCall', description: 'Extension: do-not-call lists' },
        { name: 'report', description: 'Extension: reports' },
        {
          name: 'console',
          description: 'Unsigned endpoints of the workbench and manager pages (HTTP Basic or a certificate)',
        },
        { name: 'ops', description: 'Health and metrics, unsigned' },
        {
          name: SOCKJS_TAG,
          description:
            'Not an API to call: the HTTP fallback of STOMP over SockJS at /callcenter/ws, used by sockjs-client (spec 三)',
        },
      ],
    },
    transform: documentRoute as FastifyDynamicSwaggerOptions['transform'],
  };
}
