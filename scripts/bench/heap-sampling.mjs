// What a benchmark's process allocates, and what of it outlives the young generation (issue 21): V8's sampling heap
// profiler over a window of the run, loaded into the benchmark's own process.
//   node --import ./scripts/bench/heap-sampling.mjs dist/bench/campaign.mjs --numbers 20000 --seconds 35
//   HEAP_SAMPLING=promoted (default): objects the scavenger did not free (still alive, or freed only by a full GC):
//     what was promoted; HEAP_SAMPLING=all: every allocation. HEAP_SAMPLING_FROM / _FOR: the window, seconds (12 / 20).
//   HEAP_SAMPLING_CALLERS=src/db/: each sample is charged to its innermost caller in a src/ file (so what drizzle, a
//     Map or Object.entries allocate counts for the code that called them), and only callers under that prefix are
//     listed, with their total.
// Prints to stderr, when the window ends, the sampled bytes and the allocating functions with the most bytes, named by
// the source file the bundle marks them with (esbuild's `// src/...` comments).
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';

const mode = process.env.HEAP_SAMPLING ?? 'promoted';
const from = Number(process.env.HEAP_SAMPLING_FROM ?? 12) * 1000;
const span = Number(process.env.HEAP_SAMPLING_FOR ?? 20) * 1000;
const callers = process.env.HEAP_SAMPLING_CALLERS;
const session = new Session();
session.connect();

/** A bundle line → the source file esbuild says it came from. */
function sourceFiles(url) {
  const marks = [];
  try {
    readFileSync(fileURLToPath(url), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const m = /^\/\/ ((?:src|scripts|test)\/\S+)$/.exec(line);
        if (m) marks.push([i, m[1]]);
      });
  } catch {
    // not a file of ours
  }
  return (line) => {
    let found = '';
    for (const [at, file] of marks) if (at <= line) found = file;
    return found;
  };
}

function report(profile) {
  const files = new Map();
  const fileOf = (url, line) => {
    if (!url.startsWith('file:')) return url.split('/').slice(-2).join('/');
    if (!files.has(url)) files.set(url, sourceFiles(url));
    return files.get(url)(line) || url.split('/').slice(-2).join('/');
  };
  const bytes = new Map();
  let total = 0;
  const walk = (node, caller) => {
    const f = node.callFrame;
    const here = `${f.functionName || '(anonymous)'} ${fileOf(f.url, f.lineNumber)}`;
    const charged = callers && !here.includes(' src/') ? caller : here;
    if (node.selfSize > 0) {
      const key = charged ?? here;
      bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const child of node.children) walk(child, charged);
  };
  walk(profile.head, undefined);
  const mib = (b) => (b / 2 ** 20).toFixed(1);
  const listed = [...bytes].filter(([k]) => !callers || k.includes(` ${callers}`));
  const under = listed.reduce((sum, [, b]) => sum + b, 0);
  const lines = listed
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([k, b]) => `  ${mib(b).padStart(7)} MiB ${((100 * b) / total).toFixed(1).padStart(5)}%  ${k}`);
  console.error(
    `heap sampling (${mode}) over ${span / 1000} s from ${from / 1000} s: ${mib(total)} MiB sampled` +
      (callers ? `, ${mib(under)} MiB by callers under ${callers}` : '') +
      `\n${lines.join('\n')}`,
  );
}

setTimeout(async () => {
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: mode === 'all',
  });
  setTimeout(async () => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    report(profile);
  }, span).unref();
}, from).unref();
