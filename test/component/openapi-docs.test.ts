// /docs/json (issue #17 item 13): a new operator must be able to try a signed call from Swagger UI, see the
// envelope every answer comes in, post the bodies as the spec does (forms), and not wade through SockJS's
// transport routes. Each claim the document makes is checked against what the server does.
import t from 'tap';
import { createHash } from 'node:crypto';
import { ACCOUNT, SECRET, startTestApp } from '../support/app.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an OpenAPI document walked by the test
type Json = Record<string, any>;
const METHODS = ['get', 'post', 'put', 'delete', 'patch', 'options', 'head'];

function operations(doc: Json): { method: string; path: string; op: Json }[] {
  return Object.entries<Json>(doc.paths).flatMap(([path, ops]) =>
    Object.entries<Json>(ops)
      .filter(([m]) => METHODS.includes(m))
      .map(([method, op]) => ({ method, path, op })),
  );
}

/** The security schemes an operation requires in each alternative, as header names. */
const schemeSets = (doc: Json, op: Json): string[][] =>
  ((op.security ?? []) as Json[]).map((alt) => Object.keys(alt));

t.test('the OpenAPI document at /docs/json', async (t) => {
  const ta = await startTestApp();
  t.teardown(() => ta.close());
  const app = ta.app.http;
  const res = await app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(res.statusCode, 200);
  const doc = res.json() as Json;
  const ops = operations(doc);
  t.ok(ops.length > 30, `${ops.length} operations`);

  await t.test(
    'given SockJS transport routes, none is listed and nothing falls into a "default" tag',
    async (t) => {
      t.same(
        Object.keys(doc.paths).filter((p) => p.startsWith('/callcenter/ws')),
        [],
        'no /callcenter/ws routes',
      );
      const untagged = ops.filter(({ op }) => !Array.isArray(op.tags) || op.tags.length === 0);
      t.same(
        untagged.map((o) => `${o.method} ${o.path}`),
        [],
        'every operation has a tag',
      );
      const declared = new Set((doc.tags as Json[]).map((x) => x.name));
      const used = new Set(ops.flatMap(({ op }) => op.tags as string[]));
      t.same(
        [...used].filter((x) => !declared.has(x)),
        [],
        'every tag used is declared with a description',
      );
    },
  );

  await t.test('the signature is described as header security schemes', async (t) => {
    const schemes = doc.components.securitySchemes as Json;
    for (const name of ['account', 'timestamp', 'sign', 'nonce'])
      t.match(schemes[name], { type: 'apiKey', in: 'header', name }, `${name} is a header`);
    t.match(schemes.extension, { type: 'http', scheme: 'basic' });
    t.match(doc.info.description, /MD5\(account \+ timestamp \+ secret\)/);
    t.match(doc.info.description, /milliseconds/);
  });

  await t.test('exactly the routes that refuse an unsigned request require the signature', async (t) => {
    for (const { method, path, op } of ops) {
      // Required query parameters are given (a plausible '1'), so validation does not answer before the credentials.
      const query = Object.fromEntries(
        ((op.parameters ?? []) as Json[])
          .filter((p) => p.in === 'query' && p.required)
          .map((p) => [p.name, '1']),
      );
      const r = await app.inject({ method: method.toUpperCase() as 'GET', url: path, query });
      const refusedUnsigned = r.statusCode === 401 && /account header is required/.test(r.body);
      const refusedNoBasic = r.statusCode === 401 && /HTTP Basic/.test(r.body);
      const sets = schemeSets(doc, op);
      const signed = sets.some((s) => ['account', 'timestamp', 'sign'].every((h) => s.includes(h)));
      const basic = sets.some((s) => s.includes('extension'));
      t.equal(signed, refusedUnsigned, `${method} ${path}: signed in the document ⇔ refused without a sign`);
      t.equal(basic, refusedNoBasic, `${method} ${path}: Basic in the document ⇔ refused without it`);
      if (signed || basic) t.ok(op.responses['401'], `${method} ${path} documents its 401`);
    }
  });

  await t.test('headers built from the schemes as the description says make a call succeed', async (t) => {
    const schemes = doc.components.securitySchemes as Json;
    const timestamp = String(ta.clock.now());
    const sign = createHash('md5')
      .update(ACCOUNT + timestamp + SECRET)
      .digest('hex');
    const r = await app.inject({
      method: 'GET',
      url: '/freeswitch/gateway/api/getAvailableList/v1',
      headers: {
        [schemes.account.name]: ACCOUNT,
        [schemes.timestamp.name]: timestamp,
        [schemes.sign.name]: sign,
      },
    });
    t.equal(r.json().reqResult.code, 1, r.body);
  });

  await t.test('every response is described; JSON ones with the envelope', async (t) => {
    const schemas = doc.components.schemas as Json;
    for (const name of ['Success', 'Failure']) {
      t.same(schemas[name].required, ['reqResult'], `${name} requires reqResult`);
      t.same(schemas[name].properties.reqResult.required, ['code', 'msg']);
    }
    t.ok(schemas.Success.properties.data, 'Success carries data');
    for (const { method, path, op } of ops) {
      const where = `${method} ${path}`;
      for (const [status, resp] of Object.entries<Json>(op.responses)) {
        t.not(resp.description, 'Default Response', `${where} ${status} is described`);
        const content = resp.content as Json | undefined;
        t.ok(content && Object.keys(content).length > 0, `${where} ${status} has a content schema`);
        const json = content?.['application/json'];
        if (json)
          t.equal(
            json.schema.$ref,
            `#/components/schemas/${status === '200' ? 'Success' : 'Failure'}`,
            `${where} ${status} is the envelope`,
          );
      }
      t.ok(op.responses.default, `${where} documents its failures`);
    }
    t.match(
      doc.paths['/callcenter/callLog/api/export/v1'].get.responses['200'].content,
      { 'text/csv': {} },
      'the export answers CSV',
    );
  });

  await t.test('bodies are documented as forms first, with multipart where a file is taken', async (t) => {
    const posts = ops.filter(({ op }) => op.requestBody);
    t.ok(posts.length > 15);
    for (const { path, op } of posts) {
      const types = Object.keys(op.requestBody.content);
      t.equal(types[0], 'application/x-www-form-urlencoded', `${path}: the form comes first`);
      t.ok(types.includes('application/json'), `${path}: JSON is accepted too`);
      const form = op.requestBody.content['application/x-www-form-urlencoded'].schema as Json;
      for (const [name, p] of Object.entries<Json>(form.properties ?? {}))
        t.ok(p.type, `${path}: form field ${name} has a type Swagger UI can render`);
    }
    for (const path of [
      '/callcenter/callProject/api/uploadVoiceFile/v1',
      '/callcenter/callList/api/append/v1',
      '/callcenter/dnc/api/add/v1',
      '/callcenter/dnc/api/remove/v1',
    ])
      t.match(
        doc.paths[path].post.requestBody.content['multipart/form-data'].schema.properties.file,
        { type: 'string', format: 'binary' },
        `${path} takes a file`,
      );
  });

  await t.test('a form posted as documented is what the server takes', async (t) => {
    const op = doc.paths['/callcenter/callProject/api/createProject/v1'].post;
    const fields = Object.keys(op.requestBody.content['application/x-www-form-urlencoded'].schema.properties);
    // defaultGwCode is our documented extension (a project's default outbound gateway, issue 17.11).
    t.same(fields.sort(), ['defaultGwCode', 'projectCode', 'seats']);
    const r = await app.inject({
      method: 'POST',
      url: '/callcenter/callProject/api/createProject/v1',
      headers: { ...ta.signed(), 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      payload: 'projectCode=docs1&seats=1',
    });
    t.equal(r.json().reqResult.code, 1, r.body);
  });
});
