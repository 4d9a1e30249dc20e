// Runs a benchmark the way production runs the server: compiled by esbuild (as scripts/build-server.mjs does), not
// under tsx. tsx compiles with keepNames, which gives every closure its own `name` property store (about 256 bytes
// per closure per instance): measured under tsx, a STOMP session or an outbound leg looks kilobytes larger than it is.
//   node scripts/bench/compiled.mjs <benchmark> [its arguments]   e.g. node scripts/bench/compiled.mjs stomp-fanout 2000 20 5
// The bundle goes to dist/bench/<benchmark>.mjs; its child processes run the same bundle, also without tsx.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const [name, ...args] = process.argv.slice(2);
if (!name) {
  console.error('usage: node scripts/bench/compiled.mjs <benchmark> [arguments]');
  process.exit(2);
}
const outDir = join(root, 'dist/bench');
const outfile = join(outDir, `${name}.mjs`);
mkdirSync(outDir, { recursive: true });
// The emulator's process (emulator-process.ts) is its own entry: forking the campaign's bundle would run the
// campaign again. The app finds its migrations next to the bundle, as dist/main.js does.
cpSync(join(root, 'src/db/migrations'), join(outDir, 'migrations'), { recursive: true });
await build({
  entryPoints: [join(root, 'scripts/bench', `${name}.ts`), join(root, 'scripts/bench/emulator-process.ts')],
  outdir: outDir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: ['node20'],
  logLevel: 'warning',
});
const run = spawnSync(process.execPath, [outfile, ...args], { stdio: 'inherit', cwd: root });
process.exit(run.status ?? 1);
