// Keeps the emulator honest against what the live tier recorded (test/fixtures/freeswitch-live, our server against
// FreeSWITCH 1.11.1): each outbound-socket transcript is replayed against the emulator — the leg is originated as the
// server did (same origination_uuid where it had one), our server's commands go out in the captured order, each once
// the events that preceded it in the capture have arrived, and the far end hangs up where the capture shows a
// hangup nobody on the socket asked for. Then the two conversations must agree on: the event names in order, the
// headers the server reads being present (or absent) alike, and the causes and states it decides on.
//
// What is legitimately timing-dependent is allowed: mod_event_socket writes the linger notice from its listener loop
// as soon as the channel is down, not through the event queue, and our server answers it with `exit`; so after the
// leg's CHANNEL_HANGUP each side may have delivered more or fewer of the teardown events before the goodbye — one
// tail must be a prefix of the other.
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import t from 'tap';
import { liveCapturesDir, readCapture, receivedBytes } from '../../support/captures.js';
import { startEmulator } from '../../freeswitch-emulator/index.js';
import type { Emulator, EmulatorOptions } from '../../freeswitch-emulator/index.js';
import { TestClient, get, parseFrames } from '../../freeswitch-emulator/test-client.js';
import type { Frame } from '../../freeswitch-emulator/test-client.js';

/** Headers src/calls/runner.ts, recovery.ts, dialer and supervisor read from events. */
const READ = [
  'Unique-ID',
  'Other-Leg-Unique-ID',
  'Hangup-Cause',
  'Answer-State',
  'Channel-Call-State',
  'Caller-Caller-ID-Number',
  'Caller-Destination-Number',
  'Application-UUID',
  'Application-Response',
  'variable_originate_disposition',
  'variable_bridge_hangup_cause',
  'variable_sip_hangup_disposition',
  'variable_sip_term_status',
  'variable_cc_call_id',
  'variable_cc_role',
  'variable_cc_flow',
];
/** Values a flow decides on: they must be the same event by event. */
const DECIDING = [
  'Answer-State',
  'Hangup-Cause',
  'Channel-Call-State',
  'Application',
  'Application-Response',
  'variable_originate_disposition',
  'variable_DIALSTATUS',
  'variable_bridge_hangup_cause',
  'variable_last_bridge_hangup_cause',
  'variable_sip_hangup_disposition',
  'variable_sip_term_status',
];

interface Case {
  file: string;
  emulator: EmulatorOptions;
  /** Agents' phones: baresip auto-answers, or rejects while ringing with 486 (`busy`). */
  phones: Record<string, 'auto-answer' | 'busy'>;
  /** How the server originated the leg that reached its socket; PORT is the test's socket. */
  originate: string;
}

const cases: Case[] = [
  {
    file: 'outbound-direct-customer-hangs-up-during-bridge.txt',
    emulator: {},
    phones: { '1000': 'auto-answer' },
    originate:
      'originate {origination_uuid=8f09580c-1b6d-475f-83f9-a2cc3d83de26,originate_timeout=6,ignore_early_media=true,' +
      'cc_call_id=8f09580c-1b6d-475f-83f9-a2cc3d83de26,cc_role=customer,cc_flow=direct,cc_project=live8304,' +
      "cc_task=t8304x1,cc_number=13600000001,cc_number_id=1,cc_gw=carrier}sofia/gateway/carrier/13600000001 '&socket(127.0.0.1:PORT async full)'",
  },
  {
    file: 'outbound-direct-agent-rejects-486-next-agent.txt',
    emulator: {},
    phones: { '1000': 'auto-answer', '1002': 'busy' },
    originate:
      'originate {origination_uuid=e2b9a6ed-ddfe-4cca-8d5b-3bf4b849eb6b,originate_timeout=6,ignore_early_media=true,' +
      'cc_call_id=e2b9a6ed-ddfe-4cca-8d5b-3bf4b849eb6b,cc_role=customer,cc_flow=direct,cc_project=live10099,' +
      "cc_task=t10099x1,cc_number=13600000002,cc_number_id=1,cc_gw=carrier}sofia/gateway/carrier/13600000002 '&socket(127.0.0.1:PORT async full)'",
  },
  {
    file: 'outbound-agent-first-customer-busy.txt',
    emulator: { peers: { '13200000004': { kind: 'busy' } } },
    phones: { '1000': 'auto-answer' },
    originate:
      'originate {origination_caller_id_number=13200000004,originate_timeout=8,sip_h_X-CC-Auto-Answer=true,' +
      'cc_call_id=3bdae914-957f-4946-a058-930f976927e7,cc_role=agent,cc_flow=agent-first,cc_agent=1000,' +
      'cc_project=live8304,cc_task=t8304x3,cc_number=13200000004,cc_number_id=6,cc_gw=carrier,' +
      "cc_dial=sofia/gateway/carrier/13200000004}user/1000@127.0.0.1 '&socket(127.0.0.1:PORT async full)'",
  },
];

const evName = (f: Frame) => f.event?.['Event-Name'];
const isNotice = (f: Frame) => get(f, 'Content-Type') === 'text/disconnect-notice';

/** The frames up to the first disconnect-notice (what our server saw before it said `exit`). */
function beforeGoodbye(frames: Frame[]): { events: Frame[]; replies: Frame[] } {
  const cut = frames.findIndex(isNotice);
  const seen = cut < 0 ? frames : frames.slice(0, cut);
  return {
    events: seen.filter((f) => f.event && evName(f) !== 'CHANNEL_DATA'),
    replies: frames.filter((f) => !f.event && get(f, 'Event-Name') !== 'CHANNEL_DATA'),
  };
}

/** Event frames FreeSWITCH had sent before each of the client's commands. */
function commandsWithEventsBefore(name: string): { text: string; after: number }[] {
  const capture = readCapture(name, liveCapturesDir);
  const out: { text: string; after: number }[] = [];
  let received = Buffer.alloc(0);
  for (const r of capture.records) {
    if (r.kind === 'recv') received = Buffer.concat([received, r.bytes]);
    if (r.kind !== 'send') continue;
    const events = parseFrames(received).frames.filter((f) => f.event && evName(f) !== 'CHANNEL_DATA');
    for (const text of r.bytes.toString('utf8').split(/(?<=\n\n)/)) out.push({ text, after: events.length });
  }
  return out;
}

for (const c of cases) {
  t.test(`the emulator replays ${c.file} as FreeSWITCH 1.11.1 did`, async (t) => {
    const capture = readCapture(c.file, liveCapturesDir);
    const want = parseFrames(receivedBytes(capture)).frames;
    const capturedUuid = get(want[0]!, 'Unique-ID')!;

    let accept: (client: TestClient) => void = () => undefined;
    const accepted = new Promise<TestClient>((resolve) => (accept = resolve));
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      accept(TestClient.wrap(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const emu: Emulator = await startEmulator({ timeScale: 0.01, ...c.emulator });
    t.teardown(async () => {
      await emu.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    for (const [ext, mode] of Object.entries(c.phones)) emu.register(ext, { mode });
    void emu.api(c.originate.replace('PORT', String(port)));
    const leg = await accepted;

    // The leg's uuid where the server did not choose it (user/… legs): the captured one stands for the emulator's.
    let uuid = capturedUuid;
    const events = () => leg.frames.filter((f) => f.event && evName(f) !== 'CHANNEL_DATA');
    const replies = () => leg.frames.filter((f) => !f.event);
    const wantEvents = want.filter((f) => f.event && evName(f) !== 'CHANNEL_DATA');
    const hangupAt = wantEvents.findIndex((f) => evName(f) === 'CHANNEL_HANGUP');
    const serverHangsUp = capture.records.some(
      (r) => r.kind === 'send' && r.bytes.toString().includes('call-command: hangup'),
    );
    for (const { text, after } of commandsWithEventsBefore(c.file)) {
      // The far end hung up where the capture shows CHANNEL_HANGUP without our server asking for it.
      if (
        !serverHangsUp &&
        hangupAt >= 0 &&
        after > hangupAt &&
        emu.channels().some((ch) => ch.uuid === uuid)
      ) {
        await emu.waitFor(() => events().length >= hangupAt || undefined);
        emu.remoteHangup(uuid);
      }
      if (text.trim() !== 'exit')
        await emu.waitFor(() => events().length >= after || undefined).catch(() => undefined);
      else await leg.find(isNotice);
      const answered = replies().length;
      leg.send(text.replaceAll(capturedUuid, uuid));
      // One command in flight, as our server's connection does: the reply comes before anything else is done.
      await emu.waitFor(() => replies().length > answered || undefined);
      if (/^connect/.test(text))
        uuid = get(
          leg.frames.find((f) => get(f, 'Event-Name') === 'CHANNEL_DATA')!,
          'Unique-ID',
        )!;
    }
    await leg.waitClosed();

    const got = beforeGoodbye(leg.frames);
    const wanted = beforeGoodbye(want);
    const names = (fs: Frame[]) => fs.map((f) => evName(f)!);
    const hangup = (fs: Frame[]) => {
      const i = fs.findIndex((f) => evName(f) === 'CHANNEL_HANGUP');
      return i < 0 ? fs.length : i + 1;
    };
    const [gh, wh] = [hangup(got.events), hangup(wanted.events)];
    t.same(
      names(got.events.slice(0, gh)),
      names(wanted.events.slice(0, wh)),
      'event names up to CHANNEL_HANGUP',
    );
    const [gTail, wTail] = [names(got.events.slice(gh)), names(wanted.events.slice(wh))];
    const shorter = gTail.length < wTail.length ? gTail : wTail;
    const longer = shorter === gTail ? wTail : gTail;
    t.same(
      shorter,
      longer.slice(0, shorter.length),
      'teardown events before the goodbye: one is a prefix of the other',
      {
        emulator: gTail,
        freeswitch: wTail,
      },
    );
    const shape = (f: Frame) =>
      `${get(f, 'Content-Type')} ${get(f, 'Reply-Text') ?? get(f, 'Content-Disposition') ?? f.body.trim()}`;
    t.same(got.replies.map(shape), wanted.replies.map(shape), 'replies and notices');

    const n = Math.min(got.events.length, wanted.events.length);
    for (let i = 0; i < n; i++) {
      const [g, w] = [got.events[i]!.event!, wanted.events[i]!.event!];
      if (g['Event-Name'] !== w['Event-Name']) break;
      const label = `event ${i + 1} ${w['Event-Name']}${w.Application ? ` ${w.Application}` : ''}`;
      t.same(
        READ.filter((h) => h in g),
        READ.filter((h) => h in w),
        `${label}: the headers the server reads`,
      );
      const pick = (e: Record<string, string>) => Object.fromEntries(DECIDING.map((h) => [h, e[h]]));
      t.same(pick(g), pick(w), `${label}: causes and states`);
    }
  });
}
