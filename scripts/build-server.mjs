// Builds the server for production into dist/: main.js (+ main.js.map), one esbuild bundle of src/main.ts with
// every npm package left external (resolved from node_modules at run time, as under tsx), migrations/ (the SQL
// that src/db/database.ts applies, found next to the bundle) and pg-migrations/ (src/db/pg/open.ts's). `npm start`
// runs `node dist/main.js`, so a start neither loads tsx nor compiles TypeScript (issue 13: start-up time and RSS);
// tests and scripts keep tsx. It writes only those paths: dist/sdk and dist/pages belong to build-sdk.mjs and
// build-pages.mjs.
// Type errors are not its business (esbuild strips types); `npm test` runs tsc.
// setup.sh runs it before every start and test run, so it skips all work while its inputs are unchanged.
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startIncrementalBuild } from './incremental-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src');
const outDir = join(root, 'dist');
const outfile = join(outDir, 'main.js');
const migrationsOut = join(outDir, 'migrations');
const pgMigrationsOut = join(outDir, 'pg-migrations');

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)],
  );
}

// The browser code (src/sdk, src/pages) has its own builds; the rest of src/ is the server.
const browser = [join(srcDir, 'sdk'), join(srcDir, 'pages')];
const inputs = [
  ...filesUnder(srcDir).filter((f) => !browser.some((b) => f.startsWith(b + '/'))),
  fileURLToPath(import.meta.url),
  join(root, 'package-lock.json'),
];
const done = await startIncrementalBuild({
  name: 'server',
  root,
  inputs,
  outputs: [outfile, join(migrationsOut, 'meta/_journal.json'), join(pgMigrationsOut, 'meta/_journal.json')],
  stampFile: join(outDir, '.server-build-stamp'),
  lockFile: join(outDir, '.server-build.lock'),
});

const started = Date.now();
const { build } = await import('esbuild');
await build({
  entryPoints: [join(srcDir, 'main.ts')],
  outfile,
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: ['node20'],
  sourcemap: 'linked',
  logLevel: 'warning',
});
rmSync(migrationsOut, { recursive: true, force: true });
cpSync(join(srcDir, 'db/migrations'), migrationsOut, { recursive: true });
// PostgreSQL's (src/db/pg/open.ts finds them there when bundled).
rmSync(pgMigrationsOut, { recursive: true, force: true });
cpSync(join(srcDir, 'db/pg/migrations'), pgMigrationsOut, { recursive: true });
done();
console.log(`server: built dist/main.js in ${Date.now() - started} ms`);
