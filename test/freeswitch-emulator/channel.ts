// One call leg as FreeSWITCH describes it in events: running state, call state, caller profile, variables
// (insertion-ordered, like the channel's variable list) and the leg it is bridged to.
import type { UnicastStream } from './unicast.js';
import type { Headers } from './wire.js';

export const STATE_NUMBER: Record<string, number> = {
  CS_NEW: 0,
  CS_INIT: 1,
  CS_ROUTING: 2,
  CS_SOFT_EXECUTE: 3,
  CS_EXECUTE: 4,
  CS_EXCHANGE_MEDIA: 5,
  CS_PARK: 6,
  CS_CONSUME_MEDIA: 7,
  CS_HIBERNATE: 8,
  CS_RESET: 9,
  CS_HANGUP: 10,
  CS_REPORTING: 11,
  CS_DESTROY: 12,
};

export interface CallerProfile {
  direction: 'inbound' | 'outbound';
  logicalDirection: 'inbound' | 'outbound';
  /** Set on legs that came in through a SIP profile (`Caller-Username`, `Caller-Dialplan`). */
  username?: string;
  callerIdName: string;
  callerIdNumber: string;
  origCallerIdName?: string;
  origCallerIdNumber?: string;
  calleeIdName?: string;
  calleeIdNumber?: string;
  networkAddr?: string;
  ani: string;
  destinationNumber: string;
  source: string;
  context: string;
}

export interface ChannelTimes {
  created: number;
  answered: number;
  progress: number;
  progressMedia: number;
  hangup: number;
  bridged: number;
}

export interface RunningApp {
  name: string;
  data: string;
  /** The client's Event-UUID (or our own) echoed as Application-UUID. */
  uuid: string;
}

export class Channel {
  /** Channel-State (the running state) and Channel-State-Number (the requested one) differ around transitions. */
  state = 'CS_NEW';
  stateNumber = 0;
  callState = 'DOWN';
  answerState: 'ringing' | 'early' | 'answered' | 'hangup' = 'ringing';
  hitDialplan = false;
  hangupCause?: string;
  codec = false;
  readonly vars = new Map<string, string>();
  readonly times: ChannelTimes;
  otherLeg?: Channel;
  otherType?: 'originator' | 'originatee';
  /** Live bridge partner (otherLeg stays after the bridge ends, as in FreeSWITCH's events). */
  bridgedTo?: Channel;
  app?: RunningApp;
  parked = false;
  /**
   * Transfers so far (uuid_transfer): the socket app a transfer took the leg out of no longer holds it, so that
   * socket's end changes nothing for the leg (CF_TRANSFER: mod_event_socket neither resumes nor ends it).
   */
  transfers = 0;
  conference?: string;
  /**
   * While this leg runs `eavesdrop`: the target and whom the listener's voice reaches. muxRead mixes it into
   * what the target sends (the other half hears it), muxWrite into what the target hears (switch_ivr_async.c).
   */
  eavesdrop?: { target: string; muxRead: boolean; muxWrite: boolean };
  destroyed = false;
  /**
   * current_application_response: cleared when an app starts, set by apps that report (playback); an enclosing
   * app (socket, park) completes with whatever the last inner app left there.
   */
  appResponse?: string;
  /** Where DTMF from the peer goes while an app collects digits (play_and_get_digits). */
  dtmfSink?: (digits: string) => void;
  /** What the far end says from its answer on (8 kHz L16), for `unicast` (peers' `audio`). */
  peerAudio?: Int16Array;
  /** The leg's `unicast` stream, while it lasts. */
  unicast?: UnicastStream;
  /** Recordings in progress: path → start time in µs. */
  readonly recordings = new Map<string, number>();

  constructor(
    readonly uuid: string,
    readonly name: string,
    readonly profile: CallerProfile,
    createdMicros: number,
  ) {
    this.times = {
      created: createdMicros,
      answered: 0,
      progress: 0,
      progressMedia: 0,
      hangup: 0,
      bridged: 0,
    };
  }

  get answered(): boolean {
    return this.times.answered > 0;
  }

  get alive(): boolean {
    return this.hangupCause === undefined;
  }

  setVar(name: string, value: string): void {
    this.vars.set(name, value);
  }

  /** Channel-* basic data, the caller profile, the other leg, then (for "extended" events) every variable. */
  data(withVars: boolean, prefix = 'Caller'): Headers {
    const h: Headers = [
      ['Channel-State', this.state],
      ['Channel-Call-State', this.callState],
      ['Channel-State-Number', String(this.stateNumber)],
      ['Channel-Name', this.name],
      ['Unique-ID', this.uuid],
      ['Call-Direction', this.profile.direction],
      ['Presence-Call-Direction', this.profile.direction],
      ['Channel-HIT-Dialplan', String(this.hitDialplan)],
      ['Channel-Call-UUID', this.uuid],
      ['Answer-State', this.answerState],
    ];
    if (this.hangupCause) h.push(['Hangup-Cause', this.hangupCause]);
    if (this.codec) {
      h.push(
        ['Channel-Read-Codec-Name', 'PCMU'],
        ['Channel-Read-Codec-Rate', '8000'],
        ['Channel-Read-Codec-Bit-Rate', '64000'],
        ['Channel-Write-Codec-Name', 'PCMU'],
        ['Channel-Write-Codec-Rate', '8000'],
        ['Channel-Write-Codec-Bit-Rate', '64000'],
      );
    }
    h.push(...this.profileHeaders(prefix, true));
    if (this.otherLeg && this.otherType) {
      h.push(['Other-Type', this.otherType], ...this.otherLeg.profileHeaders('Other-Leg', false));
    }
    if (withVars) for (const [k, v] of this.vars) h.push([`variable_${k}`, v]);
    return h;
  }

  /** The caller-profile block; the Other-Leg copy has no Profile-Index. */
  profileHeaders(prefix: string, withIndex: boolean): Headers {
    const p = this.profile;
    const h: Headers = [
      [`${prefix}-Direction`, p.direction],
      [`${prefix}-Logical-Direction`, p.logicalDirection],
    ];
    if (p.username !== undefined) h.push([`${prefix}-Username`, p.username], [`${prefix}-Dialplan`, 'XML']);
    // FreeSWITCH leaves out empty profile fields (no origination_caller_id_name: no Caller-Caller-ID-Name).
    if (p.callerIdName) h.push([`${prefix}-Caller-ID-Name`, p.callerIdName]);
    h.push([`${prefix}-Caller-ID-Number`, p.callerIdNumber]);
    if (p.origCallerIdName) h.push([`${prefix}-Orig-Caller-ID-Name`, p.origCallerIdName]);
    if (p.origCallerIdNumber !== undefined) h.push([`${prefix}-Orig-Caller-ID-Number`, p.origCallerIdNumber]);
    if (p.calleeIdName !== undefined) h.push([`${prefix}-Callee-ID-Name`, p.calleeIdName]);
    if (p.calleeIdNumber !== undefined) h.push([`${prefix}-Callee-ID-Number`, p.calleeIdNumber]);
    if (p.networkAddr !== undefined) h.push([`${prefix}-Network-Addr`, p.networkAddr]);
    h.push(
      [`${prefix}-ANI`, p.ani],
      [`${prefix}-Destination-Number`, p.destinationNumber],
      [`${prefix}-Unique-ID`, this.uuid],
      [`${prefix}-Source`, p.source],
      [`${prefix}-Context`, p.context],
      [`${prefix}-Channel-Name`, this.name],
    );
    if (withIndex) h.push([`${prefix}-Profile-Index`, '1']);
    const t = this.times;
    h.push(
      [`${prefix}-Profile-Created-Time`, String(t.created)],
      [`${prefix}-Channel-Created-Time`, String(t.created)],
      [`${prefix}-Channel-Answered-Time`, String(t.answered)],
      [`${prefix}-Channel-Progress-Time`, String(t.progress)],
      [`${prefix}-Channel-Progress-Media-Time`, String(t.progressMedia)],
      [`${prefix}-Channel-Hangup-Time`, String(t.hangup)],
      [`${prefix}-Channel-Transfer-Time`, '0'],
      [`${prefix}-Channel-Resurrect-Time`, '0'],
      [`${prefix}-Channel-Bridged-Time`, String(t.bridged)],
      [`${prefix}-Channel-Last-Hold`, '0'],
      [`${prefix}-Channel-Hold-Accum`, '0'],
      [`${prefix}-Screen-Bit`, 'true'],
      [`${prefix}-Privacy-Hide-Name`, 'false'],
      [`${prefix}-Privacy-Hide-Number`, 'false'],
    );
    return h;
  }

  /** The `Channel-*` copy of the profile that the outbound `connect` reply starts with. */
  connectProfile(): Headers {
    const p = this.profile.direction;
    return [
      ['Channel-Direction', p],
      ['Channel-Logical-Direction', this.profile.logicalDirection],
      ...this.profileHeaders('Channel', true).slice(2),
    ];
  }
}
