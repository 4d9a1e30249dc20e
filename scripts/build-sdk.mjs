// Builds the browser softphone SDK into dist/sdk/ (served under /sdk/): mysoftphone.js (IIFE, global MySoftPhone),
// mysoftphone.mjs (ES module), mysoftphone.d.ts (+ types/), demo.html. Type-checks src/sdk with its own DOM tsconfig on the way.
// setup.sh runs it before every start and test run, so it skips all work while its inputs are unchanged.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startIncrementalBuild } from './incremental-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src/sdk');
const outDir = join(root, 'dist/sdk');
const stampFile = join(outDir, '.build-stamp');
const outputs = ['mysoftphone.js', 'mysoftphone.mjs', 'mysoftphone.d.ts'].map((f) => join(outDir, f));

const inputs = [
  ...readdirSync(srcDir)
    .filter((f) => /\.(ts|json|html)$/.test(f))
    .map((f) => join(srcDir, f)),
  fileURLToPath(import.meta.url),
  join(root, 'node_modules/jssip/package.json'),
];
const done = await startIncrementalBuild({
  name: 'sdk',
  root,
  inputs,
  outputs,
  stampFile,
  lockFile: join(root, 'dist/.sdk-build.lock'),
});

const started = Date.now();
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

// Type-check and emit declarations into dist/sdk/types (outDir of src/sdk/tsconfig.json).
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(srcDir, 'tsconfig.json')],
  {
    stdio: 'inherit',
  },
);
if (tsc.status !== 0) {
  console.error('sdk: type errors in src/sdk');
  process.exit(1);
}
writeFileSync(
  join(outDir, 'mysoftphone.d.ts'),
  "export * from './types/index.js';\nexport { default } from './types/index.js';\n",
);

const { build } = await import('esbuild');
const common = {
  bundle: true,
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
};
await build({ ...common, entryPoints: [join(srcDir, 'global.ts')], format: 'iife', outfile: outputs[0] });
await build({ ...common, entryPoints: [join(srcDir, 'index.ts')], format: 'esm', outfile: outputs[1] });

copyFileSync(join(srcDir, 'demo.html'), join(outDir, 'demo.html'));
done();
console.log(`sdk: built dist/sdk in ${Date.now() - started} ms`);
