// Prints the line CI reads, `N passed, N failed`, from tap's saved per-file results (.tap/test-results) plus the
// static checks run before it. Each top-level test of a file counts once; a file that produced no test point
// (it crashed or never planned) counts as one failure, so a broken file can never look green.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [checksPassed = '0', checksFailed = '0', tapExit = '0'] = process.argv.slice(2);
let passed = Number(checksPassed);
let failed = Number(checksFailed);
const broken = [];

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.tap') ? [p] : [];
  });
}

for (const file of walk('.tap/test-results')) {
  const lines = readFileSync(file, 'utf8').split('\n');
  let points = 0;
  for (const line of lines) {
    const m = /^(not ok|ok) \d+/.exec(line);
    if (!m) continue;
    points++;
    const skipped = /# (SKIP|TODO)/i.test(line);
    if (m[1] === 'ok' || skipped) passed++;
    else {
      failed++;
      broken.push(`${file}: ${line}`);
    }
  }
  if (points === 0) {
    failed++;
    broken.push(`${file}: no test ran`);
  }
}
if (Number(tapExit) !== 0 && failed === 0) {
  failed++;
  broken.push('tap exited non-zero (coverage below the floor in .taprc, or a runner error)');
}
for (const b of broken) console.log(`FAILED ${b}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
