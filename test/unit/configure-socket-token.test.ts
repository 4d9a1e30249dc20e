// scripts/freeswitch/configure.mjs writes each node's cc_socket_token, derived as the server derives it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { socketToken } from '../../src/calls/leg-proof.js';
// @ts-expect-error: a plain ESM script without declarations.
import { configure, parseArgs, socketToken as scriptToken } from '../../scripts/freeswitch/configure.mjs';

/** The few vanilla files configure.mjs edits, each with the anchor its include goes by. */
function vanilla(dir: string): void {
  const files: Record<string, string> = {
    'vars.xml': '<include>\n</include>\n',
    'autoload_configs/modules.conf.xml': '<configuration>\n  <modules>\n  </modules>\n</configuration>\n',
    'autoload_configs/switch.conf.xml': '<configuration>\n  <settings>\n  </settings>\n</configuration>\n',
    'sip_profiles/internal.xml': '<profile>\n  <settings>\n  </settings>\n</profile>\n',
  };
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  mkdirSync(join(dir, 'dialplan'), { recursive: true });
}

const tokenIn = (out: string): string | undefined =>
  /data="cc_socket_token=([^"]*)"/.exec(readFileSync(join(out, 'callcenter/vars.xml'), 'utf8'))?.[1];

t.test('the script and the server derive the same token for a node', async (t) => {
  t.equal(scriptToken('s3cret', 'local'), socketToken('s3cret', 'local'));
  t.not(socketToken('s3cret', 'local'), socketToken('s3cret', 'fs2'), 'each node has its own');
  t.not(socketToken('s3cret', 'local'), socketToken('other', 'local'), 'and it depends on the secret');
  t.match(socketToken('s3cret', 'local'), /^[A-Za-z0-9_-]{43}$/, 'nothing to escape anywhere');
});

t.test(
  "configure.mjs writes the node's token from the server's secret, and keeps the placeholder without one",
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-conf-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const conf = join(dir, 'conf');
    vanilla(conf);
    const data = join(dir, 'data');
    mkdirSync(data);
    const saved = { secret: process.env.CC_SOCKET_SECRET, dataDir: process.env.CC_DATA_DIR };
    t.teardown(() => {
      for (const [k, v] of [
        ['CC_SOCKET_SECRET', saved.secret],
        ['CC_DATA_DIR', saved.dataDir],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    });
    delete process.env.CC_SOCKET_SECRET;
    process.env.CC_DATA_DIR = data;

    configure(parseArgs([conf, join(dir, 'none'), '--quiet']));
    t.equal(tokenIn(join(dir, 'none')), 'change-this-token', 'no secret yet: the placeholder stays');

    writeFileSync(join(data, 'freeswitch-socket-secret'), 'file-secret\n');
    configure(parseArgs([conf, join(dir, 'a'), '--quiet', '--node', 'fs-a']));
    t.equal(tokenIn(join(dir, 'a')), socketToken('file-secret', 'fs-a'), 'from the data directory');

    process.env.CC_SOCKET_SECRET = 'env-secret';
    configure(parseArgs([conf, join(dir, 'b'), '--quiet']));
    t.equal(
      tokenIn(join(dir, 'b')),
      socketToken('env-secret', 'local'),
      'CC_SOCKET_SECRET wins; node "local"',
    );
    configure(parseArgs([join(dir, 'b'), '--quiet']));
    t.equal(tokenIn(join(dir, 'b')), socketToken('env-secret', 'local'), 'idempotent');
  },
);
