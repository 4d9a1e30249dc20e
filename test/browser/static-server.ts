// Serves the test page and the built SDK on loopback: / → page.html, /page.js, /sdk/* → dist/sdk/*.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const sdkDir = join(here, '../../dist/sdk');

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
};

function fileFor(path: string): string | null {
  if (path === '/' || path === '/index.html') return join(here, 'page.html');
  if (path === '/page.js') return join(here, 'page.js');
  if (path.startsWith('/sdk/')) {
    const rel = normalize(path.slice('/sdk/'.length));
    if (rel.startsWith('..')) return null;
    return join(sdkDir, rel);
  }
  return null;
}

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

export async function startStaticServer(): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = fileFor(path);
    if (!file) return void res.writeHead(404).end();
    readFile(file).then(
      (body) => {
        const ext = file.slice(file.lastIndexOf('.'));
        res.writeHead(200, {
          'content-type': types[ext] ?? 'application/octet-stream',
          'cache-control': 'no-store',
        });
        res.end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('static server has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
