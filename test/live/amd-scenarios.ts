// Live scenarios for answering-machine detection (issue 23), group "amd": first the facts our design rests on,
// checked on the real FreeSWITCH with a bare outbound socket (what `unicast` streams, over what, in which format,
// and when it pauses or stops), then the product end to end.
import { randomUUID } from 'node:crypto';
import { BeepWait } from '../../src/calls/amd/beep-wait.js';
import { AmdClassifier, type AmdDecision } from '../../src/calls/amd/classifier.js';
import { PcmFramer } from '../../src/calls/amd/frames.js';
import { DEFAULT_AMD_THRESHOLDS } from '../../src/calls/amd/settings.js';
import { amdTestSet, loadClip, ulawPathOf, type Clip } from '../support/amd-audio.js';
import { BareOutboundSocket, StreamProbe, startRecordingCustomer, ulawToLinear } from './amd-peers.js';
import { sleep, waitFor, type Lab } from './lab.js';
import { amdEndToEnd } from './amd-e2e-scenarios.js';

type Step = [string, (c: { lab: Lab }) => Promise<string | void>];

function check(cond: unknown, what: string, detail?: unknown): asserts cond {
  if (!cond) throw new Error(`${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
}

/** The first clip of the test set matching `name` (synthesised by espeak-ng and sox). */
export async function clip(name: RegExp): Promise<Clip> {
  const spec = amdTestSet().find((s) => name.test(s.name));
  if (!spec) throw new Error(`no clip ${name}`);
  return loadClip(spec);
}

function classify(frames: Int16Array[]): { decision: AmdDecision | null; beepAtMs: number | null } {
  const c = new AmdClassifier(DEFAULT_AMD_THRESHOLDS);
  const w = new BeepWait(DEFAULT_AMD_THRESHOLDS);
  let decision: AmdDecision | null = null;
  for (const [i, f] of frames.entries()) {
    if (!decision) decision = c.feed(f);
    else if (w.feed(f)?.reason === 'beep') return { decision, beepAtMs: (i + 1) * 20 };
  }
  return { decision, beepAtMs: null };
}

const unicastSendmsg = (localPort: number, remotePort: number, extra: string) =>
  [
    'sendmsg',
    'call-command: unicast',
    'local-ip: 127.0.0.1',
    `local-port: ${localPort}`,
    'remote-ip: 127.0.0.1',
    `remote-port: ${remotePort}`,
    extra,
  ]
    .filter(Boolean)
    .join('\n');

/** Calls the recording customer on `sipPort` with FreeSWITCH's socket app pointed at `sock`; returns the uuid. */
async function callCustomer(lab: Lab, sock: BareOutboundSocket, sipPort: number): Promise<string> {
  const uuid = randomUUID();
  lab.fsCli(
    `bgapi originate {origination_uuid=${uuid},ignore_early_media=true}sofia/external/amd@127.0.0.1:${sipPort} '&socket(127.0.0.1:${sock.port} async full)'`,
  );
  await sock.accept();
  return uuid;
}

const unicastFacts: Step = [
  'unicast on FreeSWITCH 1.11.1: a parked outbound-socket leg streams L16 datagrams over UDP (even with transport: tcp)',
  async ({ lab }) => {
    await lab.startServer();
    await lab.startFreeswitch();
    const human = await clip(/^human-en-Hello-s175-lead0.3$/);
    const facts: string[] = [];

    // 1. transport: tcp, no flags, a human answer.
    const sock = new BareOutboundSocket(8099);
    await sock.listen();
    const probe = await StreamProbe.open(9101);
    lab.onClose(async () => (sock.close(), probe.close()));
    // Looped, so that the customer speaks for the whole check.
    await startRecordingCustomer(lab, 5094, ulawPathOf(human), -1);
    const uuid = await callCustomer(lab, sock, 5094);
    check(sock.channel['Channel-Read-Codec-Name'] === 'PCMU', 'the customer leg reads PCMU', sock.channel);
    const t0 = Date.now();
    const reply = await sock.command(unicastSendmsg(9001, 9101, 'transport: tcp'));
    check(reply['Reply-Text'] === '+OK', 'sendmsg unicast is accepted', reply);
    await sleep(3000);
    const first = probe.since(t0);
    check(probe.tcpConnections === 0, 'no TCP connection is ever made (the socket is created SOCK_DGRAM)');
    check(first.length >= 100, 'about 50 datagrams a second arrive over UDP', first.length);
    const sizes = [...new Set(first.map((d) => d.size))];
    check(sizes.length === 1 && sizes[0] === 320, 'each datagram is one 20 ms packet of L16 at 8 kHz', sizes);
    check(
      first.every((d) => d.fromPort === 9001),
      'datagrams come from local-port (which tells calls apart on one listener)',
    );
    facts.push(`${first.length} datagrams in 3 s, ${sizes[0]} bytes, first after ${first[0]!.at - t0} ms`);
    const framer = new PcmFramer(160);
    const heard = classify(first.flatMap((d) => framer.push(d.bytes)));
    check(
      heard.decision?.verdict === 'human',
      'the L16 (little-endian) stream of a "Hello?" is a human',
      heard,
    );
    facts.push(`human verdict at ${heard.decision.atMs} ms of stream`);

    // 2. There is no nounicast in 1.11.1: the command is accepted and nothing changes.
    const tNo = Date.now();
    const no = await sock.command('sendmsg\ncall-command: nounicast');
    await sleep(600);
    check(probe.since(tNo).length >= 20, 'the stream goes on after "nounicast"', { reply: no['Reply-Text'] });
    facts.push(`nounicast: ${no['Reply-Text']}, stream continues`);

    // 3. An application that resets the session's codecs (playback does) ends the stream for good:
    // switch_core_session_reset() calls switch_ivr_deactivate_unicast(). The leg itself lives on, parked.
    const tPlay = Date.now();
    await sock.command(
      'sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: silence_stream://1000\nevent-lock: true',
    );
    await sleep(2000);
    const during = probe.since(tPlay + 200).length;
    check(during === 0, 'nothing arrives once a playback ran on the leg', during);
    check(lab.fsCli(`uuid_exists ${uuid}`).trim() === 'true', 'the leg is still up after the playback');
    facts.push('a playback ends the stream (the leg stays parked)');
    lab.fsCli(`uuid_kill ${uuid}`);
    return facts.join('; ');
  },
];

const unicastNative: Step = [
  'unicast with flags: native streams the codec payload (µ-law); a machine greeting and its beep are found in it',
  async ({ lab }) => {
    const machine = await clip(/^machine-en-Hello-you-have-s210-lead0.4$/);
    const sock = new BareOutboundSocket(8098);
    await sock.listen();
    const probe = await StreamProbe.open(9102);
    lab.onClose(async () => (sock.close(), probe.close()));
    await startRecordingCustomer(lab, 5096, ulawPathOf(machine), -1);
    const uuid = await callCustomer(lab, sock, 5096);
    const t0 = Date.now();
    await sock.command(unicastSendmsg(9002, 9102, 'transport: udp\nflags: native'));
    const seconds = machine.pcm.length / 8000;
    await waitFor('the whole greeting', () => Date.now() - t0 > seconds * 1000, seconds * 1000 + 2000, 200);
    const got = probe.since(t0).filter((d) => d.at - t0 <= seconds * 1000);
    // Codec payload: 160 bytes of µ-law per 20 ms. Comfort noise (no RTP yet) still comes as the decoded frame's
    // size filled with 0xFF (switch_ivr_park: SFF_CNG frames are memset(255) whatever the flags), here 320 bytes.
    const cng = got.filter((d) => d.size === 320 && d.bytes.every((b) => b === 0xff));
    const sizes = [...new Set(got.filter((d) => !cng.includes(d)).map((d) => d.size))];
    check(
      sizes.length === 1 && sizes[0] === 160,
      'native: 160 bytes of µ-law per 20 ms, or 0xFF-filled CNG',
      sizes,
    );
    const heard = classify(got.map((d) => (cng.includes(d) ? new Int16Array(160) : ulawToLinear(d.bytes))));
    check(heard.decision?.verdict === 'machine', 'the greeting is a machine', heard);
    check(heard.beepAtMs !== null, 'and its beep is heard', heard);
    // Hangup ends it (the customer still sends RTP: rtp_stream loops).
    lab.fsCli(`uuid_kill ${uuid}`);
    await sleep(300);
    const after = probe.datagrams.length;
    await sleep(500);
    check(probe.datagrams.length === after, 'nothing arrives once the leg is gone');
    return `${got.length} datagrams (${cng.length} CNG); machine (${heard.decision.reason}) at ${heard.decision.atMs} ms, beep at ${heard.beepAtMs} ms (speech ends at ${Math.round(machine.speechEndSeconds * 1000)} ms of the recording)`;
  },
];

export const amdGroup: Step[] = [unicastFacts, unicastNative, ...amdEndToEnd];
