// Parser throughput on the real captures: node --import=tsx scripts/bench/esl-parser.ts [rounds]
// Replays every capture's received bytes (original TCP chunking) through EslParser, then through decodeEvent.
import { EslParser, decodeEvent, isEventFrame } from '../../src/esl/index.js';
import { listCaptures, readCapture } from '../../test/support/captures.js';

const rounds = Number(process.argv[2] ?? 200);
const chunks = listCaptures().flatMap((name) =>
  readCapture(name).records.flatMap((r) => (r.kind === 'recv' ? [r.bytes] : [])),
);
const bytes = chunks.reduce((n, c) => n + c.length, 0);

function run(decode: boolean): { frames: number; events: number; ms: number } {
  let frames = 0;
  let events = 0;
  const start = performance.now();
  for (let i = 0; i < rounds; i++) {
    const parser = new EslParser();
    for (const chunk of chunks)
      for (const frame of parser.push(chunk)) {
        frames++;
        if (isEventFrame(frame) && (!decode || decodeEvent(frame))) events++;
      }
  }
  return { frames, events, ms: performance.now() - start };
}

run(true); // warm-up
const rows = [
  ['framing only', run(false)],
  ['framing + decodeEvent', run(true)],
] as const;
console.log(
  `captures: ${listCaptures().length} files, ${(bytes / 1e6).toFixed(2)} MB, ${chunks.length} chunks; ${rounds} rounds`,
);
console.log('| pass | frames/s | events/s | MB/s |');
console.log('|---|---:|---:|---:|');
for (const [label, r] of rows) {
  const s = r.ms / 1000;
  console.log(
    `| ${label} | ${Math.round(r.frames / s).toLocaleString('en')} | ${Math.round(r.events / s).toLocaleString('en')} | ${((bytes * rounds) / 1e6 / s).toFixed(1)} |`,
  );
}
