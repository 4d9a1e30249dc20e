// Reader for the byte-exact ESL transcripts in ../shared/fixtures/freeswitch (format in its README):
// marker lines `<<< RECV +S.SSSs N bytes`, `>>> SEND ...`, `### NOTE ...`, `=== CLOSE ...`; after a RECV/SEND
// marker exactly N raw bytes follow, then one "\n".
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type CaptureRecord =
  { kind: 'recv' | 'send'; at: number; bytes: Buffer } | { kind: 'note' | 'close'; at: number; text: string };

export interface Capture {
  name: string;
  comments: string[];
  records: CaptureRecord[];
}

const here = dirname(fileURLToPath(import.meta.url));
export const capturesDir = resolve(here, '../../../shared/fixtures/freeswitch');
/** Transcripts of the live tier (test/live/capture.ts, README there): our server against FreeSWITCH 1.11.1. */
export const liveCapturesDir = resolve(here, '../fixtures/freeswitch-live');

export function listCaptures(dir = capturesDir): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort();
}

export function readCapture(name: string, dir = capturesDir): Capture {
  return parseCapture(readFileSync(join(dir, name)), name);
}

/** One transcript's bytes (`name` only names it in errors). */
export function parseCapture(raw: Buffer, name: string): Capture {
  const comments: string[] = [];
  const records: CaptureRecord[] = [];
  let pos = 0;
  let begun = false;
  while (pos < raw.length) {
    const eol = raw.indexOf(0x0a, pos);
    const end = eol === -1 ? raw.length : eol;
    const line = raw.subarray(pos, end).toString('utf8');
    pos = end + 1;
    if (!begun) {
      if (line.startsWith('# ==== BEGIN')) begun = true;
      else if (line.startsWith('#')) comments.push(line.replace(/^#\s?/, ''));
      continue;
    }
    if (line === '') continue;
    const data = /^(<<< RECV|>>> SEND) \+([\d.]+)s (\d+) bytes/.exec(line);
    if (data) {
      const n = Number(data[3]);
      records.push({
        kind: data[1] === '<<< RECV' ? 'recv' : 'send',
        at: Number(data[2]),
        bytes: Buffer.from(raw.subarray(pos, pos + n)),
      });
      pos += n + 1;
      continue;
    }
    const other = /^(### NOTE|=== CLOSE) \+([\d.]+)s ?(.*)$/.exec(line);
    if (other) {
      records.push({
        kind: other[1] === '### NOTE' ? 'note' : 'close',
        at: Number(other[2]),
        text: other[3],
      });
      continue;
    }
    throw new Error(`${name}: unexpected line ${JSON.stringify(line.slice(0, 80))}`);
  }
  return { name, comments, records };
}

/** All bytes FreeSWITCH sent, concatenated (the chunking is kept in `records`). */
export function receivedBytes(capture: Capture): Buffer {
  return Buffer.concat(capture.records.flatMap((r) => (r.kind === 'recv' ? [r.bytes] : [])));
}
