// Cuts a raw live capture (capture.ts) into a fixture for test/fixtures/freeswitch-live:
//
//   node --import=tsx test/live/capture-trim.ts <raw.txt> <out.txt> [--scenario TEXT] [--leg UUID ...]
//        [--max-events N] [--until SECONDS] [--comment LINE ...]
//
// Outbound transcripts (one per leg) keep their TCP chunks as recorded. The inbound link carries a whole group, so
// it is re-framed: everything before the first scenario NOTE (auth, subscription, start-up listings) plus, with
// --scenario, the records from that scenario's NOTE to the next one; with --leg, only events of those legs
// (Unique-ID, Other-Leg-Unique-ID, Job-UUID of their originates) and no HEARTBEAT or registration traffic. Each
// RECV record of a re-framed file is one whole ESL message. In every file the lab's secrets become asterisks and
// the lab directory /tmp/cc-live-XXXXXX, length for length.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseCapture, type CaptureRecord } from '../support/captures.js';
import { socketToken } from '../../src/calls/leg-proof.js';
import { FS_HTTP_SECRET, FS_SOCKET_SECRET, SECRET } from './lab.js';

type Rec = CaptureRecord;

/** Splits FreeSWITCH's byte stream into whole messages, each stamped with the time its last byte arrived. */
function reframe(records: Rec[]): Rec[] {
  const out: Rec[] = [];
  let buf = Buffer.alloc(0);
  for (const r of records) {
    if (r.kind !== 'recv') {
      out.push(r);
      continue;
    }
    buf = Buffer.concat([buf, r.bytes]);
    for (;;) {
      const end = buf.indexOf('\n\n');
      if (end < 0) break;
      const length = /^Content-Length: (\d+)$/m.exec(buf.subarray(0, end).toString('utf8'));
      const total = end + 2 + (length ? Number(length[1]) : 0);
      if (buf.length < total) break;
      out.push({ kind: 'recv', at: r.at, bytes: buf.subarray(0, total) });
      buf = buf.subarray(total);
    }
  }
  return out;
}

function headerOf(bytes: Buffer, name: string): string | undefined {
  const m = new RegExp(`^${name}: (.*)$`, 'm').exec(bytes.toString('utf8'));
  return m ? decodeURIComponent(m[1]!) : undefined;
}

const args = process.argv.slice(2);
const [input, output] = args;
if (!input || !output) {
  console.error(
    'usage: capture-trim.ts <raw.txt> <out.txt> [--scenario TEXT] [--leg UUID ...] [--comment LINE ...]',
  );
  process.exit(2);
}
const opt = (name: string) => args.flatMap((a, i) => (a === name && args[i + 1] ? [args[i + 1]!] : []));
const scenario = opt('--scenario')[0];
const legs = new Set(opt('--leg'));
const maxEvents = Number(opt('--max-events')[0] ?? Infinity);
const until = Number(opt('--until')[0] ?? Infinity);
const extraComments = opt('--comment');

const { comments, records } = parseCapture(readFileSync(input), input);
const inbound = comments.some((c) => c === 'mode: inbound');
let kept = records;
if (inbound) {
  const framed = reframe(records);
  const firstNote = framed.findIndex((r) => r.kind === 'note' && r.text.startsWith('scenario: '));
  const start = scenario
    ? framed.findIndex((r) => r.kind === 'note' && r.text === `scenario: ${scenario}`)
    : firstNote;
  if (start < 0) throw new Error(`no NOTE "scenario: ${scenario}" in ${input}`);
  const next = framed.findIndex((r, i) => i > start && r.kind === 'note' && r.text.startsWith('scenario: '));
  const body = scenario ? framed.slice(start, next < 0 ? undefined : next) : [];
  const jobs = new Set<string>();
  for (const r of body)
    if (r.kind === 'send' && [...legs].some((l) => r.bytes.includes(l))) {
      const job = headerOf(r.bytes, 'Job-UUID');
      if (job) jobs.add(job);
    }
  let events = 0;
  const wanted = (r: Rec) => {
    if (r.kind !== 'recv' || headerOf(r.bytes, 'Content-Type') !== 'text/event-plain') return true;
    if (legs.size === 0) return true;
    const name = headerOf(r.bytes, 'Event-Name');
    if (name === 'HEARTBEAT' || name === 'RE_SCHEDULE') return false;
    const ids = ['Unique-ID', 'Other-Leg-Unique-ID', 'Job-UUID', 'Bridge-B-Unique-ID'].map((h) =>
      headerOf(r.bytes, h),
    );
    return ids.some((id) => id !== undefined && (legs.has(id) || jobs.has(id))) && ++events <= maxEvents;
  };
  kept = [...framed.slice(0, firstNote < 0 ? framed.length : firstNote), ...body.filter(wanted)];
}
// --until: nothing after that many seconds (a connection that began mid-scenario, e.g. after a restart).
kept = kept.filter((r) => r.at <= until);

// The lab's secrets (lab.ts) and the scratch directory's random name. Every replacement keeps the length, so the
// Content-Length of the message around it stays right.
const mask = (text: string) => '*'.repeat(text.length);
const redactions: [RegExp, (m: string, ...g: string[]) => string][] = [
  [new RegExp(FS_HTTP_SECRET, 'g'), mask],
  [new RegExp(socketToken(FS_SOCKET_SECRET, 'local'), 'g'), mask],
  [new RegExp(SECRET, 'g'), mask],
  [/^(auth )(\S+)$/gm, (_m, verb, pw) => verb + mask(pw)],
  [/(password[^=:\n]*(?:=|: ?))([^\s,}&]+)/gi, (_m, key, pw) => key + mask(pw)],
  [/\/tmp\/cc-live-[A-Za-z0-9]{6}/g, () => '/tmp/cc-live-XXXXXX'],
];
const redact = (b: Buffer) => {
  let s = b.toString('latin1');
  for (const [re, to] of redactions) s = s.replace(re, to);
  return Buffer.from(s, 'latin1');
};

const lines: Buffer[] = [
  Buffer.from(
    [
      ...comments.filter((c) => !c.startsWith('connection:')).map((c) => `# ${c}`),
      ...extraComments.map((c) => `# ${c}`),
      ...(inbound
        ? [
            `# trimmed by test/live/capture-trim.ts: start-up${scenario ? ` + scenario "${scenario}"` : ''}` +
              `${legs.size ? `, events of legs ${[...legs].join(' ')}` : ''}; each RECV is one whole ESL message`,
          ]
        : []),
      '# ==== BEGIN ====',
      '',
    ].join('\n'),
  ),
];
for (const r of kept) {
  if (!('bytes' in r))
    lines.push(
      Buffer.from(`${r.kind === 'note' ? '### NOTE' : '=== CLOSE'} +${r.at.toFixed(3)}s ${r.text}\n`),
    );
  else {
    const bytes = redact(r.bytes);
    lines.push(
      Buffer.from(
        `${r.kind === 'recv' ? '<<< RECV' : '>>> SEND'} +${r.at.toFixed(3)}s ${bytes.length} bytes\n`,
      ),
      bytes,
      Buffer.from('\n'),
    );
  }
}
writeFileSync(output, Buffer.concat(lines));
