// Builds the browser softphone SDK into dist/sdk/ (served under /sdk/): mysoftphone.js (IIFE, global MySoftPhone),
// mysoftphone.mjs (ES module), mysoftphone.d.ts (+ types/), demo.html. Type-checks src/sdk with its own DOM tsconfig on the way.
// setup.sh runs it before every start and test run, so it skips all work while its inputs are unchanged.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src/sdk');
const outDir = join(root, 'dist/sdk');
const stampFile = join(outDir, '.build-stamp');
const outputs = ['mysoftphone.js', 'mysoftphone.mjs', 'mysoftphone.d.ts'].map((f) => join(outDir, f));

function inputsHash() {
  const hash = createHash('sha256');
  const files = readdirSync(srcDir)
    .filter((f) => /\.(ts|json|html)$/.test(f))
    .sort()
    .map((f) => join(srcDir, f));
  files.push(fileURLToPath(import.meta.url), join(root, 'node_modules/jssip/package.json'));
  for (const file of files) hash.update(file).update(readFileSync(file));
  return hash.digest('hex');
}

const want = inputsHash();
const force = process.argv.includes('--force');
const upToDate = () =>
  existsSync(stampFile) && readFileSync(stampFile, 'utf8') === want && outputs.every((f) => existsSync(f));
if (!force && upToDate()) {
  console.log('sdk: dist/sdk is up to date');
  process.exit(0);
}

// Test files build on demand and tap runs two at once: one build at a time, the others wait and reuse it.
const lockFile = join(root, 'dist/.sdk-build.lock');
mkdirSync(dirname(lockFile), { recursive: true });
const lockDeadline = Date.now() + 120_000;
for (;;) {
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    break;
  } catch {
    // A lock older than two minutes belongs to a build that died.
    if (
      Date.now() > lockDeadline ||
      Date.now() - statSync(lockFile, { throwIfNoEntry: false })?.mtimeMs > 120_000
    ) {
      rmSync(lockFile, { force: true });
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
process.on('exit', () => rmSync(lockFile, { force: true }));
if (!force && upToDate()) {
  console.log('sdk: dist/sdk was built meanwhile');
  process.exit(0);
}

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
writeFileSync(stampFile, want);
console.log(`sdk: built dist/sdk in ${Date.now() - started} ms`);
