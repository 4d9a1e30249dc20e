// Prints the line CI reads, `N passed, N failed`, from tap's saved per-file results (.tap/test-results) plus the
// static checks run before it. Every leaf test (a t.test with no t.test inside) counts once; a parent whose own
// assertions failed while its children passed counts as one failure; a file with no test point at all (it crashed
// or never planned) counts as one failure, so a broken file can never look green.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
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

function countFile(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  // A stack of open subtests: {indent, name, hasChild, failedChild}
  const stack = [{ indent: -1, name: file, hasChild: false, failedChild: false }];
  let points = 0;
  for (const line of lines) {
    const indent = line.length - line.trimStart().length;
    const text = line.trimStart();
    const sub = /^# Subtest: (.*)$/.exec(text);
    if (sub) {
      stack[stack.length - 1].hasChild = true;
      stack.push({ indent, name: sub[1], hasChild: false, failedChild: false });
      continue;
    }
    const point = /^(not ok|ok) \d+(?: - (.*?))?(?: # (.*))?$/.exec(text);
    if (!point) continue;
    points++;
    const top = stack[stack.length - 1];
    // This point closes the innermost subtest if it is at that subtest's indentation.
    if (stack.length > 1 && top.indent === indent) {
      stack.pop();
      const ok = point[1] === 'ok' || /^(SKIP|TODO)/i.test(point[3] ?? '');
      if (!ok) stack[stack.length - 1].failedChild = true;
      if (!top.hasChild || (!ok && !top.failedChild)) {
        if (ok) passed++;
        else {
          failed++;
          broken.push(`${file}: ${top.name}`);
        }
      }
    } else if (stack.length === 1 && !/^# Subtest/.test(text)) {
      // A bare assertion at the top of a file (no t.test): count it as a test of its own.
      if (point[1] === 'ok') passed++;
      else {
        failed++;
        broken.push(`${file}: ${point[2] ?? 'assertion'}`);
      }
    }
  }
  if (points === 0) {
    failed++;
    broken.push(`${file}: no test ran`);
  }
}

for (const file of walk('.tap/test-results')) countFile(file);
if (Number(tapExit) !== 0 && failed === 0) {
  failed++;
  broken.push('tap exited non-zero (coverage below the floor in .taprc, or a runner error)');
}
for (const b of broken) console.log(`FAILED ${b}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
