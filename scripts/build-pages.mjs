// Builds the landing page, the agent workbench and the manager page into dist/pages/ (served by src/api/pages.ts
// at /, /workbench, /manager and /pages/*): workbench.js and manager.js (esbuild bundles of src/pages/*/main.ts
// with @stomp/stompjs, and uPlot for the manager's wallboard), the three HTML files, style.css and uPlot's stylesheet (uplot.css).
// Type-checks src/pages with its own DOM tsconfig on the way. The softphone is
// not bundled: the pages load /sdk/mysoftphone.js (scripts/build-sdk.mjs).
// setup.sh runs it before every start and test run, so it skips all work while its inputs are unchanged.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startIncrementalBuild } from './incremental-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src/pages');
const outDir = join(root, 'dist/pages');
const stampFile = join(outDir, '.build-stamp');
const entries = ['workbench', 'manager'];
const copies = [
  ['index.html', 'index.html'],
  ['workbench/workbench.html', 'workbench.html'],
  ['manager/manager.html', 'manager.html'],
  ['style.css', 'style.css'],
  ['../../node_modules/uplot/dist/uPlot.min.css', 'uplot.css'],
];
const outputs = [...entries.map((e) => `${e}.js`), ...copies.map(([, to]) => to)].map((f) => join(outDir, f));

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)],
  );
}

// The pages import the contract's codes and the SDK's types; a change there must rebuild them too.
const inputs = [
  ...filesUnder(srcDir),
  join(root, 'src/core/codes.ts'),
  fileURLToPath(import.meta.url),
  join(root, 'node_modules/@stomp/stompjs/package.json'),
  join(root, 'node_modules/uplot/package.json'),
].filter((f) => /\.(ts|json|html|css|mjs)$/.test(f));
const done = await startIncrementalBuild({
  name: 'pages',
  root,
  inputs,
  outputs,
  stampFile,
  lockFile: join(root, 'dist/.pages-build.lock'),
});

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
done();
console.log(`pages: built dist/pages in ${Date.now() - started} ms`);
