// Builds the agent workbench and the manager page into dist/pages/ (served by src/api/pages.ts at /workbench,
// /manager and /pages/*): workbench.js and manager.js (esbuild bundles of src/pages/*/main.ts with @stomp/stompjs),
// the two HTML files and style.css. Type-checks src/pages with its own DOM tsconfig on the way. The softphone is
// not bundled: the pages load /sdk/mysoftphone.js (scripts/build-sdk.mjs).
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
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src/pages');
const outDir = join(root, 'dist/pages');
const stampFile = join(outDir, '.build-stamp');
const entries = ['workbench', 'manager'];
const copies = [
  ['workbench/workbench.html', 'workbench.html'],
  ['manager/manager.html', 'manager.html'],
  ['style.css', 'style.css'],
];
const outputs = [...entries.map((e) => `${e}.js`), ...copies.map(([, to]) => to)].map((f) => join(outDir, f));

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)],
  );
}

function inputsHash() {
  const hash = createHash('sha256');
  // The pages import the contract's codes and the SDK's types; a change there must rebuild them too.
  const files = [
    ...filesUnder(srcDir),
    join(root, 'src/core/codes.ts'),
    fileURLToPath(import.meta.url),
    join(root, 'node_modules/@stomp/stompjs/package.json'),
  ]
    .filter((f) => /\.(ts|json|html|css|mjs)$/.test(f))
    .sort();
  for (const file of files) hash.update(relative(root, file)).update(readFileSync(file));
  return hash.digest('hex');
}

const want = inputsHash();
const force = process.argv.includes('--force');
const upToDate = () =>
  existsSync(stampFile) && readFileSync(stampFile, 'utf8') === want && outputs.every((f) => existsSync(f));
if (!force && upToDate()) {
  console.log('pages: dist/pages is up to date');
  process.exit(0);
}

// Test files build on demand and tap runs two at once: one build at a time, the others wait and reuse it.
const lockFile = join(root, 'dist/.pages-build.lock');
mkdirSync(dirname(lockFile), { recursive: true });
const lockDeadline = Date.now() + 120_000;
for (;;) {
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    break;
  } catch {
    // A lock older than two minutes belongs to a build that died.
    const age = Date.now() - (statSync(lockFile, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    if (Date.now() > lockDeadline || age > 120_000) {
      rmSync(lockFile, { force: true });
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
process.on('exit', () => rmSync(lockFile, { force: true }));
if (!force && upToDate()) {
  console.log('pages: dist/pages was built meanwhile');
  process.exit(0);
}

const started = Date.now();
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(srcDir, 'tsconfig.json')],
  { stdio: 'inherit' },
);
if (tsc.status !== 0) {
  console.error('pages: type errors in src/pages');
  process.exit(1);
}

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const { build } = await import('esbuild');
await build({
  entryPoints: Object.fromEntries(entries.map((e) => [e, join(srcDir, e, 'main.ts')])),
  outdir: outDir,
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['es2020'],
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
for (const [from, to] of copies) copyFileSync(join(srcDir, from), join(outDir, to));
writeFileSync(stampFile, want);
console.log(`pages: built dist/pages in ${Date.now() - started} ms`);
