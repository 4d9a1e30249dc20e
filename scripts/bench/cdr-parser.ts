// How long one CDR blocks the event loop (issue #12 item 5). parseCdr is synchronous, so the time of one call is
// the time nothing else runs. Hostile shapes: the attribute-heavy tag that took 9 s with the old regex reader, the
// same at the route's body limit, a flood of '&' without ';', deep nesting, and a legitimate-looking CDR with
// thousands of variables, each at a few sizes. Prints the best, median and worst of 15 runs per case (on a busy
// machine the worst includes time the process was not scheduled at all; the best is the parser's own cost).
//   node --import=tsx scripts/bench/cdr-parser.ts
// Finally the route, end to end, with the largest body it takes.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseCdr } from '../../src/switch/cdr.js';
import { CDR_BODY_LIMIT } from '../../src/api/freeswitch/cdr-route.js';
import { FsHttpPath } from '../../src/core/freeswitch.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';

const fsAuth = (ta: TestApp): Record<string, string> =>
  ta.config.fsHttpSecret
    ? { authorization: `Basic ${Buffer.from(`freeswitch:${ta.config.fsHttpSecret}`).toString('base64')}` }
    : {};

const real = readFileSync(
  new URL('../../test/fixtures/xml-cdr/customer-answered-bridged.xml', import.meta.url),
  'utf8',
);

/** `<cdr` followed by `a ` repeated: every attribute name without a value. */
const attributeHeavy = (size: number) => `<cdr ${'a '.repeat(Math.floor(size / 2))}>`;
/** Valid attributes, a tag of `size` characters. */
const manyAttributes = (size: number) => `<cdr ${'a="1" '.repeat(Math.floor(size / 6))}/>`;
const ampersands = (size: number) => `<cdr><variables><x>${'&'.repeat(size)}</x></variables></cdr>`;
const deep = (size: number) => '<a>'.repeat(Math.floor(size / 3));
/** A well-formed CDR padded with variables up to `size`. */
function manyVariables(size: number): string {
  const one = '<v_00000>some%20value%20of%20a%20variable</v_00000>';
  const n = Math.floor((size - real.length) / one.length);
  const extra = Array.from({ length: n }, (_, i) => {
    const name = `v_${String(i).padStart(5, '0')}`;
    return `<${name}>some%20value%20of%20a%20variable</${name}>`;
  }).join('');
  return real.replace('<variables>', `<variables>${extra}`);
}

const KB = 1024;
const sizes = [120 * KB, CDR_BODY_LIMIT, 5 * 1024 * KB];
const cases: Array<[string, string]> = [
  [`real CDR (${(real.length / KB).toFixed(1)} KiB)`, real],
  ...sizes.flatMap((size): Array<[string, string]> => {
    const label = `${Math.round(size / KB)} KiB`;
    return [
      [`attribute-heavy tag, ${label}`, attributeHeavy(size)],
      [`valid attributes in one tag, ${label}`, manyAttributes(size)],
      [`'&' flood, ${label}`, ampersands(size)],
      [`nesting, ${label}`, deep(size)],
      [`many variables, ${label}`, manyVariables(size)],
    ];
  }),
];

const runs = 15;
console.log(
  `parseCdr, ${runs} runs per case; the route refuses bodies above ${CDR_BODY_LIMIT / KB} KiB with 413`,
);
for (const [label, xml] of cases) {
  const ms: number[] = [];
  let outcome = '';
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = parseCdr(xml);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    outcome = r.ok ? 'parsed' : `refused: ${r.error.slice(0, 50)}`;
  }
  ms.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(40)} best ${ms[0]!.toFixed(2).padStart(7)} ms  median ${ms[runs >> 1]!.toFixed(2).padStart(7)} ms  worst ${ms[ms.length - 1]!.toFixed(2).padStart(7)} ms  (${outcome})`,
  );
}

// The whole route (form decoding, parsing, the SQLite write) for the largest record it takes, seen as the longest
// stall of the event loop while CDRs are posted one after another.
const ta = await startTestApp();
const largest = manyVariables(Math.floor(CDR_BODY_LIMIT / 3)); // url-encoding roughly triples this shape
const payload = `cdr=${encodeURIComponent(largest)}`;
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
let status = 0;
for (let i = 0; i < 20; i++) {
  const r = await ta.app.http.inject({
    method: 'POST',
    url: FsHttpPath.cdr,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...fsAuth(ta) },
    payload: payload.replace(/c0ffee00/g, `c0ffee${String(i).padStart(2, '0')}`),
  });
  status = r.statusCode;
}
delay.disable();
console.log(
  `route, ${(payload.length / KB).toFixed(0)} KiB form body (${(largest.length / KB).toFixed(0)} KiB of XML), 20 posts: ` +
    `HTTP ${status}, longest event-loop stall ${(delay.max / 1e6).toFixed(1)} ms, p50 ${(delay.percentile(50) / 1e6).toFixed(1)} ms`,
);
await ta.close();
