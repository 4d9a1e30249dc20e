// Scripted far ends: what the "SIP peer" behind a dialled number or a registered extension does, and how
// FreeSWITCH reports each failure (cause, SIP status, disposition as the captures show them).

export type PeerBehaviour =
  | {
      kind: 'answer';
      /** Ring (180) this long before answering; 0 answers at once. */
      answerAfterMs?: number;
      /** The peer sends BYE this long after answering (recv_bye). */
      hangupAfterMs?: number;
      /** DTMF the peer sends, at ms after answer. */
      dtmf?: { atMs: number; digits: string }[];
      /** What the peer says from its answer on (8 kHz 16-bit samples, then silence): heard through `unicast`. */
      audio?: Int16Array;
    }
  | { kind: 'busy'; afterMs?: number }
  | { kind: 'no-answer' }
  | { kind: 'unallocated'; afterMs?: number }
  | { kind: 'unreachable'; afterMs?: number }
  | { kind: 'reject'; afterMs?: number };

/** `reject`: 603 Decline; `busy`: 486, what baresip (and most softphones) send when the user rejects a ringing call. */
export type ExtensionMode = 'auto-answer' | 'reject' | 'busy' | 'no-answer';

export interface ExtensionOptions {
  mode?: ExtensionMode;
  answerAfterMs?: number;
  hangupAfterMs?: number;
}

export interface Registration {
  ext: string;
  options: Required<Pick<ExtensionOptions, 'mode' | 'answerAfterMs'>> &
    Pick<ExtensionOptions, 'hangupAfterMs'>;
  callId: string;
  networkPort: number;
  expires: number;
}

/** A refusal as sofia reports it: Hangup-Cause, Q.850 code and the SIP variables set on the leg. */
export interface Refusal {
  cause: string;
  q850: number;
  status: number;
  phrase: string;
  /** Absent for locally generated failures (503 to an address where nothing listens). */
  disposition?: string;
  /** `sip_term_status` is only set when the far end sent the final response. */
  termStatus: boolean;
}

export const REFUSALS: Record<'busy' | 'unallocated' | 'unreachable' | 'reject', Refusal> = {
  busy: {
    cause: 'USER_BUSY',
    q850: 17,
    status: 486,
    phrase: 'Busy Here',
    disposition: 'recv_refuse',
    termStatus: true,
  },
  unallocated: {
    cause: 'UNALLOCATED_NUMBER',
    q850: 1,
    status: 404,
    phrase: 'Not Found',
    disposition: 'recv_refuse',
    termStatus: true,
  },
  reject: {
    cause: 'CALL_REJECTED',
    q850: 21,
    status: 603,
    phrase: 'Decline',
    disposition: 'recv_refuse',
    termStatus: true,
  },
  unreachable: {
    cause: 'NORMAL_TEMPORARY_FAILURE',
    q850: 41,
    status: 503,
    phrase: 'Service Unavailable',
    termStatus: true,
  },
};

export const Q850: Record<string, number> = {
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  CALL_REJECTED: 21,
  UNALLOCATED_NUMBER: 1,
  NORMAL_TEMPORARY_FAILURE: 41,
  ORIGINATOR_CANCEL: 487,
  DESTINATION_OUT_OF_ORDER: 27,
  USER_NOT_REGISTERED: 606,
  MANAGER_REQUEST: 503,
  LOSE_RACE: 502,
  SYSTEM_SHUTDOWN: 503,
};

/** What a registered extension does when a `user/EXT` leg rings it. */
export function extensionBehaviour(reg: Registration): PeerBehaviour {
  switch (reg.options.mode) {
    case 'reject':
      return { kind: 'reject', afterMs: reg.options.answerAfterMs };
    case 'busy':
      return { kind: 'busy', afterMs: reg.options.answerAfterMs };
    case 'no-answer':
      return { kind: 'no-answer' };
    default:
      return {
        kind: 'answer',
        answerAfterMs: reg.options.answerAfterMs,
        hangupAfterMs: reg.options.hangupAfterMs,
      };
  }
}
