// A local stand-in for Qiniu Kodo: the upload host (form upload: multipart token, key, file), the rs host
// (GET /stat/<EncodedEntryURI>) and a private download domain (GET /<key>?e=<deadline>&token=<ak>:<sign>), all on
// one 127.0.0.1 port. Tokens are checked the way Qiniu checks them (HMAC-SHA1 with the secret key, URL-safe
// base64), so a wrongly signed request fails here as it would there. Files live in memory.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { QiniuConfig } from '../../src/config.js';

export interface StoredFile {
  body: Buffer;
  mimeType: string;
  putTime: number;
}

export interface FakeQiniu {
  url: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  files: Map<string, StoredFile>;
  /** Every upload request, accepted or not. */
  uploadRequests: number;
  /** Why requests were refused (bad token, wrong scope...). */
  refusals: string[];
  /** The QiniuConfig that points every host here. */
  config(overrides?: Partial<QiniuConfig>): QiniuConfig;
  /** Makes the next `n` uploads fail with `status` (default 503) before reading them. */
  failNextUploads(n: number, status?: number): void;
  close(): Promise<void>;
}

const urlsafe = (b: Buffer | string): string =>
  (typeof b === 'string' ? Buffer.from(b) : b).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
const fromUrlsafe = (s: string): string =>
  Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  body: Buffer;
}

/** Just enough multipart/form-data for the SDK's form uploader. */
function parseMultipart(body: Buffer, boundary: string): Part[] {
  const parts: Part[] = [];
  const delim = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delim);
  while (at >= 0) {
    const start = at + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delim, start);
    if (next < 0) break;
    const chunk = body.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next
    const headEnd = chunk.indexOf('\r\n\r\n');
    const head = chunk.subarray(0, headEnd).toString('utf8');
    const name = /name="([^"]*)"/.exec(head)?.[1] ?? '';
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    const contentType = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1];
    parts.push({ name, filename, contentType, body: chunk.subarray(headEnd + 4) });
    at = next;
  }
  return parts;
}

export async function startFakeQiniu(
  opts: { accessKey?: string; secretKey?: string; bucket?: string } = {},
): Promise<FakeQiniu> {
  const accessKey = opts.accessKey ?? 'fake-ak';
  const secretKey = opts.secretKey ?? 'fake-sk';
  const bucket = opts.bucket ?? 'zprecord';
  const files = new Map<string, StoredFile>();
  let failures: { left: number; status: number } = { left: 0, status: 503 };
  const sign = (data: string): string => urlsafe(createHmac('sha1', secretKey).update(data).digest());

  const json = (res: ServerResponse, status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const refuse = (res: ServerResponse, status: number, why: string) => {
    fake.refusals.push(why);
    json(res, status, { error: why });
  };

  /** Upload token: <ak>:<urlsafe hmac of the encoded policy>:<encoded policy>; the scope must allow the key. */
  function checkUploadToken(token: string, key: string): string | null {
    const [ak, signature, encodedPolicy] = token.split(':');
    if (!ak || !signature || !encodedPolicy) return 'upload token is not <ak>:<sign>:<policy>';
    if (ak !== accessKey) return `unknown access key ${ak}`;
    if (sign(encodedPolicy) !== signature) return 'upload token signature mismatch';
    const policy = JSON.parse(fromUrlsafe(encodedPolicy)) as { scope?: string; deadline?: number };
    if (typeof policy.deadline !== 'number') return 'upload policy has no deadline';
    if (policy.scope !== bucket && policy.scope !== `${bucket}:${key}`)
      return `scope ${policy.scope} does not allow ${bucket}:${key}`;
    return null;
  }

  async function upload(req: IncomingMessage, res: ServerResponse) {
    fake.uploadRequests++;
    if (failures.left > 0) {
      failures.left--;
      req.resume();
      return json(res, failures.status, { error: 'injected failure' });
    }
    const boundary = /boundary=(.+)$/.exec(req.headers['content-type'] ?? '')?.[1];
    if (!boundary) return refuse(res, 400, 'not multipart/form-data');
    const parts = parseMultipart(await readBody(req), boundary);
    const field = (n: string) => parts.find((p) => p.name === n);
    const token = field('token')?.body.toString('utf8');
    const key = field('key')?.body.toString('utf8');
    const file = field('file');
    if (!token || key === undefined || !file) return refuse(res, 400, 'token, key and file are required');
    const bad = checkUploadToken(token, key);
    if (bad) return refuse(res, 401, bad);
    files.set(key, {
      body: Buffer.from(file.body),
      mimeType: file.contentType ?? 'application/octet-stream',
      putTime: Date.now() * 10_000,
    });
    json(res, 200, { key, hash: `fake-${file.body.length}` });
  }

  function stat(req: IncomingMessage, res: ServerResponse, encodedEntry: string) {
    if (!(req.headers.authorization ?? '').startsWith(`Qiniu ${accessKey}:`))
      return refuse(res, 401, 'stat without a Qiniu access token');
    const entry = fromUrlsafe(encodedEntry);
    const sep = entry.indexOf(':');
    const f = entry.slice(0, sep) === bucket ? files.get(entry.slice(sep + 1)) : undefined;
    if (!f) return json(res, 612, { error: 'no such file or directory' });
    json(res, 200, {
      fsize: f.body.length,
      hash: `fake-${f.body.length}`,
      mimeType: f.mimeType,
      putTime: f.putTime,
    });
  }

  /** Private download: token = <ak>:<urlsafe hmac of the URL up to and including e=>. */
  function download(req: IncomingMessage, res: ServerResponse) {
    const raw = req.url ?? '/';
    const tokenAt = raw.lastIndexOf('&token=');
    if (tokenAt < 0) return refuse(res, 401, 'download without a token');
    const signed = `http://${req.headers.host}${raw.slice(0, tokenAt)}`;
    const [ak, signature] = decodeURIComponent(raw.slice(tokenAt + 7)).split(':');
    if (ak !== accessKey || signature !== sign(signed)) return refuse(res, 401, 'download token mismatch');
    const key = decodeURIComponent(raw.slice(1, raw.indexOf('?')));
    const f = files.get(key);
    if (!f) return json(res, 404, { error: 'Document not found' });
    res.writeHead(200, { 'content-type': f.mimeType, 'content-length': f.body.length });
    res.end(f.body);
  }

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const route =
      req.method === 'POST' && (url === '/' || url.startsWith('/?'))
        ? upload(req, res)
        : req.method === 'GET' && url.startsWith('/stat/')
          ? stat(req, res, url.slice('/stat/'.length))
          : req.method === 'GET'
            ? download(req, res)
            : refuse(res, 405, `${req.method} ${url}`);
    Promise.resolve(route).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: String(err) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeQiniu = {
    url,
    accessKey,
    secretKey,
    bucket,
    files,
    uploadRequests: 0,
    refusals: [],
    config: (overrides = {}) => ({
      accessKey,
      secretKey,
      bucket,
      uploadUrl: url,
      rsUrl: url,
      downloadDomain: url,
      ...overrides,
    }),
    failNextUploads(n, status = 503) {
      failures = { left: n, status };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
