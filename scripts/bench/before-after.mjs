// A change's effect on one benchmark, measured fairly on a shared machine: the benchmark runs compiled in two trees
// (the tree before the change, e.g. a `git archive` of the parent commit with node_modules linked, and this one),
// alternately, a fresh process each time, and every number of every output line is compared per round as
// after ÷ before, summarised as min / median / max.
//   node scripts/bench/before-after.mjs <before-tree> <rounds> <benchmark> [its arguments]
//   e.g. node scripts/bench/before-after.mjs /tmp/perf-before 3 campaign --numbers 20000 --seconds 45
// Lines are matched by their text with the numbers taken out, so a benchmark's own table lines work as they are.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const after = join(dirname(fileURLToPath(import.meta.url)), '../..');
const [before, roundsText, name, ...args] = process.argv.slice(2);
const rounds = Number(roundsText);
if (!before || !(rounds > 0) || !name) {
  console.error('usage: node scripts/bench/before-after.mjs <before-tree> <rounds> <benchmark> [arguments]');
  process.exit(2);
}

// Not the digits of a label such as p50 or 1.2-like versions glued to letters.
const NUMBER = /(?<![A-Za-z\d.])-?\d+(?:,\d{3})*(?:\.\d+)?/g;
/** label (the line without its numbers) → the numbers in it. */
function figures(output) {
  const out = new Map();
  for (const line of output.split('\n')) {
    const numbers = (line.match(NUMBER) ?? []).map((n) => Number(n.replaceAll(',', '')));
    if (numbers.length === 0) continue;
    out.set(line.replace(NUMBER, '#').trim(), numbers);
  }
  return out;
}

function run(tree) {
  const load = loadavg()[0];
  const r = spawnSync(process.execPath, [join(tree, 'scripts/bench/compiled.mjs'), name, ...args], {
    cwd: tree,
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    timeout: 20 * 60_000,
  });
  if (r.status !== 0) throw new Error(`${tree}: exited ${r.status}\n${r.stderr}`);
  return { figures: figures(r.stdout), load, text: r.stdout };
}

const results = [];
for (let i = 0; i < rounds; i++) {
  const order = i % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
  const got = {};
  for (const side of order) {
    got[side] = run(side === 'before' ? before : after);
    console.log(`round ${i + 1} ${side} (load ${got[side].load.toFixed(1)})\n${got[side].text}`);
  }
  results.push(got);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f2 = (x) => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2)) : String(x));
console.log(
  `\n== after ÷ before per round, min / median / max (${rounds} rounds; loads ${results.map((r) => `${r.before.load.toFixed(1)}/${r.after.load.toFixed(1)}`).join(', ')})`,
);
for (const [label, first] of results[0].after.figures) {
  const cols = [];
  for (let k = 0; k < first.length; k++) {
    const b = results.map((r) => r.before.figures.get(label)?.[k]);
    const a = results.map((r) => r.after.figures.get(label)?.[k]);
    if (b.some((x) => x === undefined) || a.some((x) => x === undefined)) continue;
    if (b.every((x, j) => x === a[j])) continue;
    const ratios = a.map((x, j) => x / b[j]);
    cols.push(
      `#${k + 1}: before ${b.map(f2).join('/')} after ${a.map(f2).join('/')} ratio ${f2(Math.min(...ratios))} / ${f2(median(ratios))} / ${f2(Math.max(...ratios))}`,
    );
  }
  if (cols.length) console.log(`${label}\n    ${cols.join('\n    ')}`);
}
