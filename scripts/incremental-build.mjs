// What build-sdk.mjs and build-pages.mjs share: skip the build while a hash of its inputs matches the stamp of
// the last build, and let only one process build at a time (tap runs test files in parallel and each may ask for
// the bundle); the others wait and reuse its output. Not named build-*.mjs: setup.sh runs those.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';

/**
 * @param {{name: string, root: string, inputs: string[], outputs: string[], stampFile: string, lockFile: string}} o
 * @returns {Promise<() => void>} call it after a successful build to write the stamp; exits when nothing to do.
 */
export async function startIncrementalBuild(o) {
  const hash = createHash('sha256');
  for (const file of [...o.inputs].sort()) hash.update(relative(o.root, file)).update(readFileSync(file));
  const want = hash.digest('hex');
  const force = process.argv.includes('--force');
  const upToDate = () =>
    existsSync(o.stampFile) &&
    readFileSync(o.stampFile, 'utf8') === want &&
    o.outputs.every((f) => existsSync(f));
  const out = relative(o.root, dirname(o.stampFile));
  if (!force && upToDate()) {
    console.log(`${o.name}: ${out} is up to date`);
    process.exit(0);
  }

  mkdirSync(dirname(o.lockFile), { recursive: true });
  const lockDeadline = Date.now() + 120_000;
  for (;;) {
    try {
      writeFileSync(o.lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      // A lock older than two minutes belongs to a build that died.
      const age = Date.now() - (statSync(o.lockFile, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (Date.now() > lockDeadline || age > 120_000) {
        rmSync(o.lockFile, { force: true });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  process.on('exit', () => rmSync(o.lockFile, { force: true }));
  if (!force && upToDate()) {
    console.log(`${o.name}: ${out} was built meanwhile`);
    process.exit(0);
  }
  return () => writeFileSync(o.stampFile, want);
}
