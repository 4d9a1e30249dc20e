// Creating legs and playing out what the far end does: ring, answer, refuse, time out, hang up, send DTMF.
import { randomUUID } from 'node:crypto';
import type { Channel } from './channel.js';
import type { Dial } from './dialstring.js';
import { extensionBehaviour, REFUSALS } from './peers.js';
import type { PeerBehaviour, Registration } from './peers.js';
import type { Switch } from './switch.js';

export interface LegRequest {
  dial: Dial;
  vars: [string, string][];
  callerIdName?: string;
  callerIdNumber?: string;
  timeoutSec: number;
  /** Right after CHANNEL_ANSWER / CALLSTATE ACTIVE: where a successful originate reports. */
  onAnswer(ch: Channel): void;
  /** Where a failed originate reports, at FreeSWITCH's point in the event order. */
  onFail(cause: string, ch?: Channel): void;
}

export interface LegEnvironment {
  sw: Switch;
  peerFor(number: string): PeerBehaviour;
  registration(ext: string): Registration | undefined;
  /** Refuses a new session the way switch_core_session_request does under sps / max-sessions limits. */
  admit(): boolean;
}

let sessionId = 0;

export function startLeg(env: LegEnvironment, req: LegRequest): Channel | undefined {
  const { sw } = env;
  const dial = req.dial;
  if (dial.kind === 'error') {
    sw.soon(() => req.onFail(dial.cause));
    return undefined;
  }
  let behaviour: PeerBehaviour;
  let name: string;
  let number: string;
  if (dial.kind === 'user') {
    const reg = env.registration(dial.ext);
    // mod_dptools' user endpoint finds no contact and fails before any session exists.
    if (!reg) {
      sw.soon(() => req.onFail('USER_NOT_REGISTERED'));
      return undefined;
    }
    behaviour = extensionBehaviour(reg);
    number = dial.ext;
    name = `sofia/internal/${dial.ext}@127.0.0.1:${reg.networkPort}`;
  } else if (dial.kind === 'loopback') {
    behaviour = { kind: 'answer', answerAfterMs: 0 };
    number = dial.number;
    name = `loopback/${dial.number}-a`;
  } else {
    behaviour = env.peerFor(dial.number);
    number = dial.number;
    name = dial.channelName;
  }
  if (!env.admit()) {
    // sofia_outgoing_channel starts from DESTINATION_OUT_OF_ORDER and returns it when no session can be made.
    sw.soon(() => req.onFail('DESTINATION_OUT_OF_ORDER'));
    return undefined;
  }
  const vars = new Map(req.vars);
  const cidNumber = vars.get('origination_caller_id_number') ?? req.callerIdNumber ?? '0000000000';
  const cidName = vars.get('origination_caller_id_name') ?? req.callerIdName ?? '';
  const ch = sw.createChannel(
    name,
    {
      direction: 'outbound',
      logicalDirection: 'outbound',
      callerIdName: cidName,
      callerIdNumber: cidNumber,
      origCallerIdName: cidName,
      origCallerIdNumber: cidNumber,
      calleeIdName: 'Outbound Call',
      calleeIdNumber: number,
      ani: cidNumber,
      destinationNumber: number,
      source: 'src/switch_ivr_originate.c',
      context: 'default',
    },
    vars.get('origination_uuid') ?? String(randomUUID()),
  );
  ch.setVar('direction', 'outbound');
  ch.setVar('is_outbound', 'true');
  ch.setVar('uuid', ch.uuid);
  ch.setVar('session_id', String(++sessionId));
  ch.setVar('sip_profile_name', dial.kind === 'sofia' ? dial.profile : 'internal');
  ch.setVar('channel_name', name);
  if (dial.kind === 'sofia') ch.setVar('sip_destination_url', dial.url);
  if (dial.kind === 'sofia' && dial.gateway) ch.setVar('sip_gateway_name', dial.gateway);
  if (dial.kind === 'user') {
    ch.setVar('dialed_user', dial.ext);
    // mod_dptools' user endpoint sets presence_id (show channels lists it) unless the dial string sets its own.
    ch.setVar('presence_id', `${dial.ext}@${dial.domain}`);
  }
  for (const [k, v] of req.vars) ch.setVar(k, v);
  ch.setVar('originate_early_media', 'true');
  ch.setVar('originate_endpoint', dial.kind === 'loopback' ? 'loopback' : 'sofia');

  ch.state = 'CS_NONE';
  ch.stateNumber = 1;
  sw.publish('CHANNEL_OUTGOING', { channel: ch, vars: false });
  sw.setState(ch, 'CS_INIT');
  ch.stateNumber = 2;
  sw.publish('CHANNEL_CREATE', { channel: ch });
  sw.publish('CHANNEL_ORIGINATE', { channel: ch });
  sw.setState(ch, 'CS_ROUTING');
  sw.setState(ch, 'CS_CONSUME_MEDIA');
  ch.setVar('sip_call_id', randomUUID());
  playPeer(env, ch, behaviour, req);
  return ch;
}

function refuse(sw: Switch, ch: Channel, kind: keyof typeof REFUSALS, req: LegRequest): void {
  const r = REFUSALS[kind];
  const sipVars: [string, string][] = [];
  if (r.disposition) sipVars.push(['sip_hangup_disposition', r.disposition]);
  sipVars.push(['sip_invite_failure_status', String(r.status)], ['sip_invite_failure_phrase', r.phrase]);
  if (r.termStatus) sipVars.push(['sip_term_status', String(r.status)]);
  sipVars.push(['proto_specific_hangup_cause', `sip:${r.status}`], ['sip_term_cause', String(r.q850)]);
  // Busy and unreachable: CHANNEL_HANGUP_COMPLETE reaches clients before BACKGROUND_JOB (README "Event order").
  sw.hangup(ch, r.cause, { sipVars, afterComplete: () => req.onFail(r.cause, ch) });
}

function playPeer(env: LegEnvironment, ch: Channel, behaviour: PeerBehaviour, req: LegRequest): void {
  const { sw } = env;
  const timeoutMs = req.timeoutSec * 1000;
  const noAnswer = () =>
    sw.hangup(ch, 'NO_ANSWER', {
      sipVars: [
        ['sip_hangup_disposition', 'send_cancel'],
        ['sip_invite_failure_status', '487'],
        ['sip_invite_failure_phrase', 'CANCEL'],
      ],
      // No answer: BACKGROUND_JOB comes right after CHANNEL_HANGUP.
      afterHangupEvent: () => req.onFail('NO_ANSWER', ch),
    });
  switch (behaviour.kind) {
    case 'busy':
    case 'unallocated':
    case 'unreachable':
    case 'reject': {
      const kind = behaviour.kind;
      sw.after(behaviour.afterMs ?? 0, () => refuse(sw, ch, kind, req));
      return;
    }
    case 'no-answer':
      sw.after(0, () => sw.ring(ch));
      sw.after(timeoutMs, () => noAnswer());
      return;
    case 'answer': {
      const delay = behaviour.answerAfterMs ?? 0;
      sw.after(0, () => sw.ring(ch));
      let timedOut = false;
      if (delay >= timeoutMs) {
        sw.after(timeoutMs, () => {
          timedOut = true;
          noAnswer();
        });
        return;
      }
      sw.after(delay, () => {
        if (timedOut || !ch.alive) return;
        announceCodecs(sw, ch);
        ch.peerAudio = behaviour.audio;
        sw.answer(ch);
        flipCallerId(ch);
        sw.publish('CALL_UPDATE', { channel: ch, pre: [['Direction', 'RECV']] });
        req.onAnswer(ch);
        if (behaviour.hangupAfterMs !== undefined) {
          sw.after(behaviour.hangupAfterMs, () =>
            sw.hangup(ch, 'NORMAL_CLEARING', {
              sipVars: [
                ['sip_hangup_disposition', 'recv_bye'],
                ['sip_term_status', '200'],
                ['proto_specific_hangup_cause', 'sip:200'],
              ],
            }),
          );
        }
        for (const d of behaviour.dtmf ?? []) sw.after(d.atMs, () => sendDtmf(sw, ch, d.digits));
      });
      return;
    }
  }
}

/** The two CODEC events media setup fires before the answer (header spellings as captured, quirks included). */
function announceCodecs(sw: Switch, ch: Channel): void {
  ch.codec = true;
  sw.publish('CODEC', {
    channel: ch,
    vars: false,
    calling: ['switch_core_codec.c', 'switch_core_session_set_real_read_codec', 189],
    post: [
      ['channel-read-codec-name', 'PCMU'],
      ['channel-read-codec-rate', '8000'],
      ['channel-read-codec-bit-rate', '64000'],
    ],
  });
  sw.publish('CODEC', {
    channel: ch,
    vars: false,
    calling: ['switch_core_codec.c', 'switch_core_session_set_write_codec', 471],
    post: [
      ['Channel-Write-Codec-Name', 'PCMU'],
      ['Channel-Write-Codec-Rate', '8000'],
      ['Channel-Write-codec-bit-rate', '64000'],
    ],
  });
}

/** switch_channel_flip_cid: once an originated leg answers, its caller id shows the far end. */
function flipCallerId(ch: Channel): void {
  const p = ch.profile;
  const origName = p.callerIdName;
  const origNumber = p.callerIdNumber;
  p.callerIdName = 'Outbound Call';
  p.callerIdNumber = p.destinationNumber;
  p.calleeIdName = origName || undefined;
  p.calleeIdNumber = origNumber;
  p.networkAddr = '127.0.0.1';
  ch.hitDialplan = true;
  ch.setVar('channel_cid_flipped', 'yes');
  ch.setVar('call_uuid', ch.uuid);
}

export function sendDtmf(sw: Switch, ch: Channel, digits: string): void {
  if (!ch.alive) return;
  for (const digit of digits) {
    sw.publish('DTMF', {
      channel: ch,
      post: [
        ['DTMF-Digit', digit],
        ['DTMF-Duration', '2000'],
        ['DTMF-Source', 'RTP'],
      ],
    });
  }
  ch.dtmfSink?.(digits);
}

/** A leg that comes into the switch (agent softphone or customer via a gateway) and enters the dialplan. */
export function inboundLeg(
  env: LegEnvironment,
  opts: {
    from: string;
    destination: string;
    profile: 'internal' | 'external';
    context: string;
    port: number;
  },
): Channel | undefined {
  const { sw } = env;
  if (!env.admit()) return undefined;
  const name = `sofia/${opts.profile}/${opts.from}@127.0.0.1:${opts.port}`;
  const ch = sw.createChannel(name, {
    direction: 'inbound',
    logicalDirection: 'inbound',
    username: opts.from,
    callerIdName: opts.from,
    callerIdNumber: opts.from,
    origCallerIdName: opts.from,
    origCallerIdNumber: opts.from,
    networkAddr: '127.0.0.1',
    ani: opts.from,
    destinationNumber: opts.destination,
    source: 'mod_sofia',
    context: opts.context,
  });
  ch.setVar('direction', 'inbound');
  ch.setVar('uuid', ch.uuid);
  ch.setVar('session_id', String(++sessionId));
  ch.setVar('sip_from_user', opts.from);
  ch.setVar('sip_from_host', '127.0.0.1');
  ch.setVar('channel_name', name);
  ch.setVar('sip_call_id', randomUUID());
  ch.setVar('sip_to_user', opts.destination);
  ch.setVar('sip_req_user', opts.destination);
  ch.setVar('sofia_profile_name', opts.profile);
  ch.setVar('sip_network_ip', '127.0.0.1');
  ch.setVar('sip_network_port', String(opts.port));
  if (opts.profile === 'internal') {
    // A registered phone's call is digest-authenticated; sofia then names the user from the directory entry
    // (test/fixtures/freeswitch-live/outbound-offhook-agent-held-leg.txt).
    ch.setVar('sip_authorized', 'true');
    ch.setVar('sip_auth_username', opts.from);
    ch.setVar('sip_auth_realm', '127.0.0.1');
    ch.setVar('user_name', opts.from);
    ch.setVar('domain_name', '127.0.0.1');
  }
  ch.state = 'CS_NEW';
  sw.setState(ch, 'CS_INIT');
  sw.publish('CHANNEL_CREATE', { channel: ch });
  sw.setState(ch, 'CS_ROUTING');
  ch.hitDialplan = true;
  ch.callState = 'RINGING';
  ch.setVar('call_uuid', ch.uuid);
  return ch;
}
