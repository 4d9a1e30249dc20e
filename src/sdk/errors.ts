/**
 * Why calls end and why registration fails, as values the agent's page can switch on, each with a sentence that
 * tells the person at the desk what to do. JsSIP reports causes as English strings (JsSIP.C.causes); this module is
 * the one place that reads them.
 */

export type Originator = 'local' | 'remote' | 'system';

/** Why a call ended ('ended': it had been answered) or failed ('failed': it never was). */
export type CallCause =
  | 'local-hangup' // this phone hung up or cancelled
  | 'remote-hangup' // the other side hung up
  | 'transferred' // this phone blind-transferred the call and left it
  | 'declined' // this phone declined the incoming call (answerConfirmFn returned false)
  | 'busy' // 486/600: the callee is busy or declined
  | 'rejected' // 403/603: the callee or the server refused the call
  | 'not-found' // 404/604: no such number or extension, or it is not registered
  | 'unavailable' // 480/408/410: the callee is offline or did not answer in time
  | 'no-answer' // nobody answered before the phone's own no-answer timer
  | 'canceled' // the caller gave up before this phone answered
  | 'invalid-target' // the number dialled is not a valid SIP target
  | 'microphone-refused' // the browser or the person refused the microphone
  | 'server-unreachable' // the WebSocket to the SIP server is down
  | 'media-error' // WebRTC could not set up or keep the audio path
  | 'sip-error'; // any other SIP failure (see statusCode)

/** JsSIP.C.causes values, spelled out so the mapping below reads against JsSIP's Constants.js. */
const JsSipCause = {
  CONNECTION_ERROR: 'Connection Error',
  REQUEST_TIMEOUT: 'Request Timeout',
  BUSY: 'Busy',
  REJECTED: 'Rejected',
  UNAVAILABLE: 'Unavailable',
  NOT_FOUND: 'Not Found',
  ADDRESS_INCOMPLETE: 'Address Incomplete',
  INCOMPATIBLE_SDP: 'Incompatible SDP',
  MISSING_SDP: 'Missing SDP',
  AUTHENTICATION_ERROR: 'Authentication Error',
  BYE: 'Terminated',
  WEBRTC_ERROR: 'WebRTC Error',
  CANCELED: 'Canceled',
  NO_ANSWER: 'No Answer',
  EXPIRES: 'Expires',
  NO_ACK: 'No ACK',
  DIALOG_ERROR: 'Dialog Error',
  USER_DENIED_MEDIA_ACCESS: 'User Denied Media Access',
  BAD_MEDIA_DESCRIPTION: 'Bad Media Description',
  RTP_TIMEOUT: 'RTP Timeout',
} as const;

/** Maps JsSIP's cause and who caused it to ours. */
export function callCause(jssipCause: string, originator: Originator): CallCause {
  switch (jssipCause) {
    case JsSipCause.BYE:
      return originator === 'local' ? 'local-hangup' : 'remote-hangup';
    case JsSipCause.CANCELED:
      return originator === 'local' ? 'local-hangup' : 'canceled';
    case JsSipCause.BUSY:
      return originator === 'local' ? 'declined' : 'busy';
    case JsSipCause.REJECTED:
      // JsSIP labels any status our own terminate() sends as REJECTED, whatever the code.
      return originator === 'local' ? 'declined' : 'rejected';
    case JsSipCause.NOT_FOUND:
    case JsSipCause.ADDRESS_INCOMPLETE:
      return 'not-found';
    case JsSipCause.UNAVAILABLE:
    case JsSipCause.REQUEST_TIMEOUT:
    case JsSipCause.EXPIRES:
      return 'unavailable';
    case JsSipCause.NO_ANSWER:
      return 'no-answer';
    case JsSipCause.USER_DENIED_MEDIA_ACCESS:
      return 'microphone-refused';
    case JsSipCause.CONNECTION_ERROR:
      return 'server-unreachable';
    case JsSipCause.WEBRTC_ERROR:
    case JsSipCause.INCOMPATIBLE_SDP:
    case JsSipCause.MISSING_SDP:
    case JsSipCause.BAD_MEDIA_DESCRIPTION:
    case JsSipCause.RTP_TIMEOUT:
      return 'media-error';
    default:
      return 'sip-error';
  }
}

const callCauseAdvice: Record<CallCause, string> = {
  'local-hangup': 'You hung up.',
  'remote-hangup': 'The other party hung up.',
  transferred: 'The call was transferred and has left this phone.',
  declined: 'You declined the call.',
  busy: 'The number is busy: try again later.',
  rejected: 'The call was refused: check the number, or ask your administrator whether you may call it.',
  'not-found': 'No such number or extension, or it is not logged in: check the number.',
  unavailable: 'The callee is unavailable: try again later.',
  'no-answer': 'Nobody answered.',
  canceled: 'The caller hung up before you answered.',
  'invalid-target': 'The number is not valid: use digits, an extension or a SIP address.',
  'microphone-refused':
    'The microphone is blocked: allow microphone access for this site in the browser (the icon in the address bar), check that a microphone is plugged in, then call again.',
  'server-unreachable':
    'The phone server cannot be reached: check the network connection; the phone reconnects by itself.',
  'media-error':
    'The audio could not be set up: reload the page; if it persists, check firewall rules for WebRTC.',
  'sip-error': 'The call failed on the server: try again, or tell your administrator the status code.',
};

/** One sentence for the person at the desk. */
export function callCauseMessage(cause: CallCause, statusCode?: number): string {
  const advice = callCauseAdvice[cause];
  return statusCode ? `${advice} (SIP ${statusCode})` : advice;
}

/** What went wrong outside a call. */
export type SoftPhoneErrorKind =
  | 'wrong-password' // the registrar rejected the credentials (401/407 after our answer to its challenge)
  | 'server-unreachable' // no WebSocket to any of wsServers
  | 'registration-rejected' // the registrar refused with another status
  | 'media-element-missing' // remoteVideoId/localVideoId names no element in the page
  | 'answer-confirm-failed'; // answerConfirmFn threw or its promise rejected: the call was declined

export interface SoftPhoneError {
  kind: SoftPhoneErrorKind;
  /** What happened and what to do about it, for the person at the desk. */
  message: string;
  /** The SIP status behind it, when there was one. */
  statusCode?: number;
}

/** Maps a JsSIP registrationFailed event to an error that says what to do. */
export function registrationError(jssipCause: string | undefined, statusCode?: number): SoftPhoneError {
  if (jssipCause === JsSipCause.AUTHENTICATION_ERROR || statusCode === 401 || statusCode === 407) {
    return {
      kind: 'wrong-password',
      message:
        'Wrong extension or password: check authorizationUser and password (the extension credentials of your project).',
      statusCode,
    };
  }
  if (
    jssipCause === JsSipCause.CONNECTION_ERROR ||
    jssipCause === JsSipCause.REQUEST_TIMEOUT ||
    !statusCode
  ) {
    return serverUnreachable();
  }
  return {
    kind: 'registration-rejected',
    message: `The phone server refused to log in this extension (SIP ${statusCode}): ask your administrator whether it is enabled.`,
    statusCode,
  };
}

export function serverUnreachable(): SoftPhoneError {
  return {
    kind: 'server-unreachable',
    message:
      'The phone server cannot be reached: check the network connection and wsServers; the phone keeps retrying by itself.',
  };
}
