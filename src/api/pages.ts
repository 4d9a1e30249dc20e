// The browser side served by the server: the landing page (/), the agent workbench (/workbench), the manager page
// (/manager), their bundles and styles (/pages/*, built into dist/pages/ by scripts/build-pages.mjs) and the softphone SDK
// (/sdk/*, dist/sdk/ by scripts/build-sdk.mjs). Files are read per request: they are small, and a rebuild shows
// without a restart. A missing build is a 503 that says which script to run.
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { failure } from './envelope.js';

// This module is src/api/pages.ts under tsx, or part of dist/main.js once built (scripts/build-server.mjs).
const here = dirname(fileURLToPath(import.meta.url));
const root = basename(here) === 'dist' ? join(here, '..') : join(here, '../..');

interface PageOptions {
  /** Default <repo>/dist/pages. */
  pagesDir?: string;
  /** Default <repo>/dist/sdk. */
  sdkDir?: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

// The pages talk to this server (HTTP, STOMP over ws/wss) and, through the softphone, to FreeSWITCH's WSS
// port on another origin, hence ws:/wss: in connect-src. No inline script or style is needed.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** `rel` resolved inside `dir`, or undefined when it would leave it or names something odd. */
export function fileInside(dir: string, rel: string): string | undefined {
  if (!/^[A-Za-z0-9._/-]+$/.test(rel) || rel.split('/').some((p) => p === '..' || p === '.' || p === ''))
    return undefined;
  const base = resolve(dir);
  const file = resolve(base, rel);
  return file.startsWith(base + sep) ? file : undefined;
}

/** Sends `file` (undefined: not servable). `strict` adds the pages' security headers; /sdk/demo.html needs
 * its inline script and style, so the SDK is served without them. */
async function send(reply: FastifyReply, file: string | undefined, builtBy: string, strict: boolean) {
  const type = file && TYPES[extname(file)];
  if (!file || !type) return reply.status(404).send(failure(404, 'no such file'));
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    const status = file.endsWith('.html') ? 503 : 404;
    return reply.status(status).send(failure(status, `${basename(file)} is not built: run node ${builtBy}`));
  }
  if (strict) reply.headers(PAGE_HEADERS);
  // Names carry no content hash, so the browser revalidates every time (cheap: the files are small).
  return reply.header('content-type', type).header('cache-control', 'no-cache').send(body);
}

export const pageRoutes: FastifyPluginAsync<PageOptions> = async (app, opts) => {
  const pagesDir = opts.pagesDir ?? join(root, 'dist/pages');
  const sdkDir = opts.sdkDir ?? join(root, 'dist/sdk');
  const build = { pages: 'scripts/build-pages.mjs', sdk: 'scripts/build-sdk.mjs' };
  const hidden = { schema: { hide: true } };

  // The landing page: where a new operator finds the pages, the SDK demo and the API docs.
  app.get('/', hidden, (_req, reply) => send(reply, join(pagesDir, 'index.html'), build.pages, true));
  app.get('/workbench', hidden, (_req, reply) =>
    send(reply, join(pagesDir, 'workbench.html'), build.pages, true),
  );
  app.get('/manager', hidden, (_req, reply) =>
    send(reply, join(pagesDir, 'manager.html'), build.pages, true),
  );
  app.get<{ Params: { '*': string } }>('/pages/*', hidden, (req, reply) =>
    send(reply, fileInside(pagesDir, req.params['*']), build.pages, true),
  );
  app.get<{ Params: { '*': string } }>('/sdk/*', hidden, (req, reply) =>
    send(reply, fileInside(sdkDir, req.params['*']), build.sdk, false),
  );
};
