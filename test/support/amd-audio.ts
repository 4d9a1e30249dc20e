// The answering-machine test set, synthesised on demand with Debian's espeak-ng and sox (scripts/
// test-system-deps.txt) instead of committed recordings: short human answers and 4-8 s machine greetings ending
// in a 1 kHz beep, Mandarin (the cmn-latn-pinyin voice fed tone-numbered pinyin: espeak-ng 1.51 reads Chinese
// characters as spelled pinyin in English) and English, at several speeds, clean and over background noise.
// Every clip passes through G.711 µ-law as it would on a phone line, and comes back as 8 kHz 16-bit PCM.
// Clips are cached by content name under the OS temp folder so that the tests and the benchmark share them.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type Truth = 'human' | 'machine';

export interface ClipSpec {
  name: string;
  truth: Truth;
  voice: 'cmn-latn-pinyin' | 'en-us';
  text: string;
  /** espeak-ng words per minute. */
  speed: number;
  /** Silence before the speech (the callee lifting the phone, or a machine's pause). */
  leadSeconds: number;
  /** Pink noise under the whole clip, as a peak-relative volume (0: clean). */
  noise: number;
  /** A 1 kHz beep after the speech (machines). */
  beep: boolean;
  /** Silence after the speech (and beep): a person waiting for an answer. */
  tailSeconds: number;
}

export interface Clip {
  spec: ClipSpec;
  /** 8 kHz mono 16-bit PCM, little-endian. */
  pcm: Int16Array;
  /** Where the speech ends and where the beep starts (seconds), from the parts' lengths. */
  speechEndSeconds: number;
}

const HUMAN_LINES: { voice: ClipSpec['voice']; text: string }[] = [
  { voice: 'cmn-latn-pinyin', text: 'wei2?' },
  { voice: 'cmn-latn-pinyin', text: 'wei2, ni3 hao3.' },
  { voice: 'en-us', text: 'Hello?' },
  { voice: 'en-us', text: 'Hi, hello?' },
];

const MACHINE_LINES: { voice: ClipSpec['voice']; text: string }[] = [
  {
    voice: 'cmn-latn-pinyin',
    text: 'nin2 hao3, nin2 bo1 da3 de5 yong4 hu4 zan4 shi2 wu2 fa3 jie1 ting1, qing3 zai4 di1 sheng1 hou4 liu2 yan2.',
  },
  {
    voice: 'cmn-latn-pinyin',
    text: 'ni3 hao3, wo3 xian4 zai4 bu4 fang1 bian4 jie1 dian4 hua4, qing3 liu2 xia4 nin2 de5 xing4 ming2 he2 dian4 hua4, wo3 hui4 jin3 kuai4 hui2 dian4.',
  },
  {
    voice: 'en-us',
    text: 'Hello, you have reached the voicemail of John Smith. I am not available right now. Please leave a message after the tone.',
  },
  {
    voice: 'en-us',
    text: 'Hi, this is Mary. Sorry I missed your call. Leave your name and number, and I will call you back.',
  },
];

const SPEEDS = [140, 175, 210];
const NOISES = [0, 0.04, 0.12];

/** The whole set: 4 human lines × 3 speeds × 2 noise levels × 2 leads, and 4 greetings × 3 speeds × 2 noises. */
export function amdTestSet(): ClipSpec[] {
  const specs: ClipSpec[] = [];
  for (const line of HUMAN_LINES) {
    for (const speed of SPEEDS) {
      for (const noise of NOISES) {
        for (const leadSeconds of [0.3, 1.0]) {
          specs.push({
            ...line,
            name: '',
            truth: 'human',
            speed,
            noise,
            leadSeconds,
            beep: false,
            tailSeconds: 4,
          });
        }
      }
    }
  }
  for (const line of MACHINE_LINES) {
    for (const speed of SPEEDS) {
      for (const noise of NOISES) {
        specs.push({
          ...line,
          name: '',
          truth: 'machine',
          speed,
          noise,
          leadSeconds: 0.4,
          beep: true,
          tailSeconds: 2,
        });
      }
    }
  }
  return specs.map((s) => ({ ...s, name: clipName(s) }));
}

function clipName(s: ClipSpec): string {
  const words = s.text
    .replace(/[^A-Za-z0-9 ]/g, '')
    .split(' ')
    .slice(0, 3)
    .join('-');
  return `${s.truth}-${s.voice === 'en-us' ? 'en' : 'cmn'}-${words}-s${s.speed}-lead${s.leadSeconds}${s.noise ? `-noise${s.noise}` : ''}`;
}

const CACHE = join(tmpdir(), 'callcenter-amd-clips-v1');

/** Synthesises (or reads from the cache) one clip. */
export async function loadClip(spec: ClipSpec): Promise<Clip> {
  await mkdir(CACHE, { recursive: true });
  const key = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
  const base = join(CACHE, key);
  const raw = `${base}.s16`;
  const speechWav = `${base}-speech.wav`;
  if (!(await exists(raw))) await synthesise(spec, base, speechWav, raw);
  const bytes = await readFile(raw);
  const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 2));
  const speechSeconds = Number((await run('soxi', ['-D', speechWav])).stdout.trim());
  return { spec, pcm: Int16Array.from(pcm), speechEndSeconds: spec.leadSeconds + speechSeconds };
}

async function synthesise(spec: ClipSpec, base: string, speechWav: string, raw: string): Promise<void> {
  const pcm8k = ['-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer'];
  const voiceWav = `${base}-voice.wav`;
  await run('espeak-ng', ['-v', spec.voice, '-s', String(spec.speed), '-w', voiceWav, spec.text]);
  // espeak-ng pads its output with a little silence; trim it so the lead and tail are what the spec says.
  await run('sox', [
    voiceWav,
    ...pcm8k,
    speechWav,
    'silence',
    '1',
    '0.01',
    '0.5%',
    'reverse',
    'silence',
    '1',
    '0.01',
    '0.5%',
    'reverse',
  ]);
  const parts = [`${base}-lead.wav`, speechWav];
  await run('sox', ['-n', ...pcm8k, parts[0], 'trim', '0', String(spec.leadSeconds)]);
  if (spec.beep) {
    parts.push(`${base}-beep.wav`);
    await run('sox', ['-n', ...pcm8k, parts.at(-1) as string, 'synth', '0.5', 'sine', '1000', 'vol', '0.5']);
  }
  parts.push(`${base}-tail.wav`);
  await run('sox', ['-n', ...pcm8k, parts.at(-1) as string, 'trim', '0', String(spec.tailSeconds)]);
  const joined = `${base}-joined.wav`;
  await run('sox', [...parts, joined]);
  let line = joined;
  if (spec.noise > 0) {
    const seconds = (await run('soxi', ['-D', joined])).stdout.trim();
    const noise = `${base}-noise.wav`;
    await run('sox', ['-n', ...pcm8k, noise, 'synth', seconds, 'pinknoise', 'vol', String(spec.noise)]);
    line = `${base}-noisy.wav`;
    await run('sox', ['-m', '-v', '1', joined, '-v', '1', noise, line]);
  }
  // Through the phone line's codec and back: what FreeSWITCH's unicast hands us for a PCMU leg.
  const ulaw = `${base}.ul`;
  await run('sox', [line, '-t', 'ul', '-r', '8000', '-c', '1', ulaw]);
  await run('sox', ['-t', 'ul', '-r', '8000', '-c', '1', ulaw, '-t', 'raw', ...pcm8k, `${raw}.part`]);
  await rename(`${raw}.part`, raw);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The clip as raw µ-law (for sipp's rtp_stream or the emulator), made from the same synthesis. */
export function ulawPathOf(clip: Clip): string {
  const key = createHash('sha256').update(JSON.stringify(clip.spec)).digest('hex').slice(0, 16);
  return join(CACHE, `${key}.ul`);
}

/** Loads many clips, a few syntheses at a time (each is a handful of short sox runs). */
export async function loadClips(specs: ClipSpec[], concurrency = 4): Promise<Clip[]> {
  const out: Clip[] = new Array(specs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < specs.length) {
      const i = next++;
      out[i] = await loadClip(specs[i]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}
