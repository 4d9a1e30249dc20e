// ESL parsing throughput on the real captures, ours beside modesl's, each in a fresh child process per round:
//   node --import=tsx scripts/bench/esl-parser.ts [rounds=5] [passes=200]
// Every capture's received bytes (original TCP chunking) go through the parser `passes` times. Ours: EslParser
// (framing only), then EslParser + decodeEvent on event frames. modesl: its Parser on a fake socket, which frames
// and decodes every frame into an Event (its only mode), so it is compared with ours framing + decoding.
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { EslParser, decodeEvent, isEventFrame } from '../../src/esl/index.js';
import { listCaptures, readCapture } from '../../test/support/captures.js';
import { interleave, ratioTable, runChild, type Figures } from './side-by-side.js';

const chunks = () =>
  listCaptures().flatMap((name) =>
    readCapture(name).records.flatMap((r) => (r.kind === 'recv' ? [r.bytes] : [])),
  );

async function measure(side: 'ours' | 'peer', passes: number): Promise<Figures> {
  const input = chunks();
  const bytes = input.reduce((n, c) => n + c.length, 0);
  const { default: ModeslParser } = await import('modesl/lib/esl/Parser.js');
  const ours = (decode: boolean) => {
    let frames = 0;
    for (let i = 0; i < passes; i++) {
      const parser = new EslParser();
      for (const chunk of input)
        for (const frame of parser.push(chunk)) {
          frames++;
          // Every header, as modesl decodes them: our plain events are decoded when read, so enumerate them.
          if (decode && isEventFrame(frame)) Object.keys(decodeEvent(frame)?.headers ?? {});
        }
    }
    return frames;
  };
  const modesl = () => {
    let frames = 0;
    for (let i = 0; i < passes; i++) {
      const socket = new EventEmitter();
      new ModeslParser(socket).on('esl::event', () => frames++);
      for (const chunk of input) socket.emit('data', chunk);
    }
    return frames;
  };
  const timed = (fn: () => number) => {
    fn(); // warm-up pass set
    const start = performance.now();
    const frames = fn();
    const s = (performance.now() - start) / 1000;
    return { framesPerS: frames / s, mbPerS: (bytes * passes) / 1e6 / s };
  };
  if (side === 'peer') {
    const m = timed(modesl);
    return { decodeMBps: m.mbPerS, decodeFramesPerS: m.framesPerS };
  }
  const framing = timed(() => ours(false));
  const decoding = timed(() => ours(true));
  return {
    framingMBps: framing.mbPerS,
    decodeMBps: decoding.mbPerS,
    decodeFramesPerS: decoding.framesPerS,
  };
}

const [, , first, second, third] = process.argv;
if (first === '--child') {
  process.send!(await measure(second as 'ours' | 'peer', Number(third)));
} else {
  const rounds = Number(first ?? 5);
  const passes = Number(second ?? 200);
  const input = chunks();
  const file = fileURLToPath(import.meta.url);
  const result = await interleave(rounds, (side) => runChild(file, ['--child', side, String(passes)]));
  console.log(
    `captures: ${listCaptures().length} files, ${(input.reduce((n, c) => n + c.length, 0) / 1e6).toFixed(2)} MB in ${input.length} chunks, ${passes} passes per measurement`,
  );
  console.log(
    ratioTable(result, [
      ['decodeMBps', 'framing + event decoding, MB/s', 1],
      ['decodeFramesPerS', 'framing + event decoding, frames/s', 0],
    ]),
  );
  const framing = result.map((r) => r.ours.framingMBps).sort((a, b) => a - b);
  console.log(`ours, framing only: ${framing[0].toFixed(0)}–${framing.at(-1)!.toFixed(0)} MB/s`);
}
