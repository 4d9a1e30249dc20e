// The composition root as an operator runs it: it says where it listens, serves /health, and exits 0 on SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

t.test(
  'the server starts on its defaults, reports where it listens, and stops cleanly on SIGTERM',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-main-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const child = spawn(process.execPath, ['--import=tsx', 'src/main.ts'], {
      env: {
        ...process.env,
        CC_DATA_DIR: dir,
        CC_HTTP_PORT: '0',
        CC_SOCKET_PORT: '0',
        CC_FS_PORT: '1',
        CC_LOG_LEVEL: 'warn',
        CC_SEED_ACCOUNT: 'crm',
        CC_SEED_SECRET: 'a-long-enough-secret',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.teardown(() => void child.kill('SIGKILL'));
    let out = '';
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line within 30 s: ${out}`)), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /callcenter listening: HTTP (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    t.match(out, /FreeSWITCH socket 127\.0\.0\.1:\d+, database .*callcenter\.db/);
    const health = (await (await fetch(`${address}/health`)).json()) as {
      data: { counts: Record<string, number> };
    };
    t.match(
      health.data.counts,
      { fs_nodes: 1, api_accounts: 1 },
      'the first start seeds the node and the account',
    );
    for (const page of ['/', '/workbench', '/manager', '/sdk/mysoftphone.js', '/sdk/demo.html'])
      t.equal(
        (await fetch(`${address}${page}`)).status,
        200,
        `${page} is served (built by the start and test commands)`,
      );
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    t.equal(code, 0, 'SIGTERM ends it with exit code 0');
  },
);

// `npm start` runs the compiled bundle (scripts/build-server.mjs). Not started here: the bundle's coverage, mapped
// back to src/ through its source map, would replace the suite's coverage of src/ instead of adding to it.
t.test('the production build writes dist/main.js and the migrations beside it', (t) => {
  const built = spawnSync(process.execPath, ['scripts/build-server.mjs'], { encoding: 'utf8' });
  t.equal(built.status, 0, `the build succeeds ${built.stderr}`);
  t.ok(existsSync('dist/main.js'), 'dist/main.js');
  t.ok(existsSync('dist/migrations/meta/_journal.json'), 'dist/migrations');
  t.match(
    readFileSync('dist/main.js', 'utf8'),
    /callcenter listening/,
    'the bundle holds the composition root',
  );
  t.end();
});

// Issue 17.14: a second `npm start` used to die with a raw EADDRINUSE stack trace.
t.test(
  'a port already taken: one line naming it and the setting that moves it, exit 1, no stack',
  async (t) => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    t.teardown(() => taken.close());
    const port = (taken.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'cc-main-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const cases: [string, Record<string, string>, RegExp][] = [
      [
        'the event socket port',
        { CC_SOCKET_PORT: String(port), CC_HTTP_PORT: '0' },
        new RegExp(
          `^callcenter: cannot listen on 127\\.0\\.0\\.1:${port} for the FreeSWITCH event socket: the port is in use \\(another callcenter may already be running\\)\\. Stop it, or set CC_SOCKET_PORT / CC_SOCKET_HOST to listen elsewhere\\.\\n$`,
        ),
      ],
      [
        'the HTTP port',
        { CC_SOCKET_PORT: '0', CC_HTTP_PORT: String(port) },
        new RegExp(
          `^callcenter: cannot listen on 127\\.0\\.0\\.1:${port} for the HTTP server \\(API, pages, STOMP\\): the port is in use \\(another callcenter may already be running\\)\\. Stop it, or set CC_HTTP_PORT / CC_HTTP_HOST to listen elsewhere\\.\\n$`,
        ),
      ],
    ];
    for (const [what, env, line] of cases) {
      const r = spawnSync(process.execPath, ['--import=tsx', 'src/main.ts'], {
        env: { ...process.env, CC_DATA_DIR: dir, CC_FS_PORT: '1', CC_LOG_LEVEL: 'warn', ...env },
        encoding: 'utf8',
        timeout: 30_000,
      });
      t.equal(r.status, 1, `${what}: exit code 1`);
      t.match(r.stderr, line, `${what}: one clear line`);
      t.notMatch(r.stderr, /^\s+at /m, `${what}: no stack trace`);
      t.notMatch(r.stdout, /callcenter listening/, `${what}: never claims to listen`);
    }
  },
);
