/** A STUN/TURN server, as RTCPeerConnection takes it (RTCIceServer). */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** The constructor's options (spec 二.1) and the optional settings we add, validated before JsSIP sees them. */
export interface SoftPhoneOptions {
  /** The extension number, e.g. "1001". */
  authorizationUser: string;
  /** The extension's password. */
  password: string;
  /** WebSocket URLs of the SIP server, tried in order, e.g. ["wss://pbx.example.com:7443"]. */
  wsServers: string[];
  /** The extension's SIP URI, e.g. "sip:1001@pbx.example.com". */
  uri: string;
  /** id of the <audio>/<video> element that plays the other party. */
  remoteVideoId: string;
  /** id of the <audio>/<video> element that shows this phone's own stream (kept muted). */
  localVideoId: string;
  /** Shown to the callee; defaults to the extension. */
  displayName?: string;
  /** STUN/TURN servers; none by default (FreeSWITCH and the agents are usually on one network). */
  iceServers?: IceServer[];
  /** How DTMF is sent: SIP INFO (default, FreeSWITCH and any proxy relay it) or RFC 2833 in the RTP stream. */
  dtmfTransport?: 'info' | 'rfc2833';
  /** Registration lifetime in seconds (default 300). */
  registerExpires?: number;
}

/** Returns whether the agent takes the incoming call from `target` (the caller's number). May answer later. */
export type AnswerConfirmFn = (target: string) => boolean | Promise<boolean>;

/** What is wrong with the options, or null when they are usable. */
export function optionsProblem(options: unknown): string | null {
  if (typeof options !== 'object' || options === null) return 'options must be an object';
  const o = options as Record<string, unknown>;
  for (const key of ['authorizationUser', 'password', 'uri', 'remoteVideoId', 'localVideoId'] as const) {
    if (typeof o[key] !== 'string' || o[key] === '') return `options.${key} must be a non-empty string`;
  }
  if (!/^sips?:/i.test(o.uri as string))
    return 'options.uri must be a SIP URI such as sip:1001@pbx.example.com';
  const ws = o.wsServers;
  if (!Array.isArray(ws) || ws.length === 0)
    return 'options.wsServers must be a non-empty array of ws:// or wss:// URLs';
  for (const url of ws) {
    if (typeof url !== 'string' || !/^wss?:\/\/[^/]/i.test(url))
      return `options.wsServers: "${String(url)}" is not a ws:// or wss:// URL`;
  }
  if (o.dtmfTransport !== undefined && o.dtmfTransport !== 'info' && o.dtmfTransport !== 'rfc2833') {
    return 'options.dtmfTransport must be "info" or "rfc2833"';
  }
  if (
    o.registerExpires !== undefined &&
    !(Number.isInteger(o.registerExpires) && (o.registerExpires as number) >= 60)
  ) {
    return 'options.registerExpires must be an integer of at least 60 seconds';
  }
  return null;
}

/** DTMF tones JsSIP can send. */
export const isDtmfTones = (tones: string): boolean => /^[0-9A-D#*,]+$/i.test(tones);

/** Dial codes of the call center (spec 二.9, 二.10; src/core/freeswitch.ts spells the same). */
export const DialCode = {
  agentLogin: 'agent_login',
  agentLogoff: 'agent_logoff',
  fifoPrefix: 'fifo',
} as const;

/** A project code that can follow "fifo" in a SIP user part. */
export const isProjectCode = (code: string): boolean => /^[A-Za-z0-9_.-]+$/.test(code);
