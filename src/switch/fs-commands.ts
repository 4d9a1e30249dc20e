// The one module that spells FreeSWITCH's API commands and dialplan applications (style.md §2). Everything else
// asks for an action by name; changing how we talk to FreeSWITCH happens here.

/** A `{k=v,...}` channel-variable block. Values are quoted with ^^ when they hold a comma (FreeSWITCH's escape). */
export function varsBlock(vars: Record<string, string | number | boolean | undefined>): string {
  const parts = Object.entries(vars)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => {
      const s = String(v);
      if (/[\s{}]/.test(s) || /[\r\n]/.test(k))
        throw new Error(`channel variable ${k} has characters FreeSWITCH cannot carry`);
      return `${k}=${s.replace(/,/g, '\\,')}`;
    });
  return parts.length ? `{${parts.join(',')}}` : '';
}

/**
 * One argument of an api command. mod_commands splits originate's arguments at spaces and honours only single
 * quotes (switch_separate_string), so `&socket(127.0.0.1:8084 async full)` unquoted runs `socket(127.0.0.1:8084)`:
 * a synchronous socket where linger, api and the bridge's reply never arrive in time.
 */
function quoteArg(arg: string): string {
  if (!/\s/.test(arg)) return arg;
  if (arg.includes("'")) throw new Error(`argument ${arg} has both spaces and a single quote`);
  return `'${arg}'`;
}

export const FsCommand = {
  originate: (
    vars: Record<string, string | number | boolean | undefined>,
    dialString: string,
    app: string,
  ): string => `originate ${varsBlock(vars)}${dialString} ${quoteArg(`&${app}`)}`,
  kill: (uuid: string, cause = 'NORMAL_CLEARING'): string => `uuid_kill ${uuid} ${cause}`,
  bridge: (a: string, b: string): string => `uuid_bridge ${a} ${b}`,
  transfer: (uuid: string, dest: string, leg?: '-bleg' | '-both'): string =>
    `uuid_transfer ${uuid}${leg ? ` ${leg}` : ''} ${dest}`,
  broadcast: (uuid: string, path: string, leg: 'aleg' | 'bleg' | 'both' = 'aleg'): string =>
    `uuid_broadcast ${uuid} ${path} ${leg}`,
  break: (uuid: string, all = true): string => `uuid_break ${uuid}${all ? ' all' : ''}`,
  record: (uuid: string, action: 'start' | 'stop', path: string): string =>
    `uuid_record ${uuid} ${action} ${path}`,
  getvar: (uuid: string, name: string): string => `uuid_getvar ${uuid} ${name}`,
  setvar: (uuid: string, name: string, value: string): string => `uuid_setvar ${uuid} ${name} ${value}`,
  exists: (uuid: string): string => `uuid_exists ${uuid}`,
  showChannels: (): string => 'show channels as json',
  registrations: (profile = 'internal'): string => `sofia status profile ${profile} reg`,
  flushRegistration: (user: string, domain: string, profile = 'internal'): string =>
    `sofia profile ${profile} flush_inbound_reg ${user}@${domain}`,
  rescanGateways: (profile = 'external'): string => `sofia profile ${profile} rescan`,
  killGateway: (gwCode: string, profile = 'external'): string => `sofia profile ${profile} killgw ${gwCode}`,
  conference: (name: string, action: string): string => `conference ${name} ${action}`,
  /** Hangs up every member (each leg ends NORMAL_CLEARING; the room goes when the last one leaves). */
  conferenceHupAll: (name: string): string => `conference ${name} hup all`,
} as const;

/** Dial strings. */
export const FsDial = {
  /** A registered extension through the directory (mod_dptools' user endpoint). */
  user: (username: string, domain: string): string =>
    domain ? `user/${username}@${domain}` : `user/${username}`,
} as const;

/** How a supervisor's eavesdrop leg starts: listening, whispering to the agent, or three-way. */
export type EavesdropMode = 'listen' | 'whisper' | 'barge';

/**
 * Channel variables of an eavesdrop leg whose target is the AGENT's leg. eavesdrop_whisper_bleg mixes the
 * listener into what the target hears (ED_MUX_WRITE: the agent only), eavesdrop_whisper_aleg into what the target
 * sends (ED_MUX_READ: the customer); both is a three-way call. DTMF stays on, so the listener can switch during
 * the call: 2 agent only, 1 customer only, 3 both, 0 listen, * stop (mod_dptools eavesdrop).
 */
export function eavesdropVars(mode: EavesdropMode): Record<string, string> {
  return {
    eavesdrop_enable_dtmf: 'true',
    eavesdrop_whisper_aleg: mode === 'barge' ? 'true' : 'false',
    eavesdrop_whisper_bleg: mode === 'listen' ? 'false' : 'true',
  };
}

/** Dialplan applications run on a leg (sendmsg execute or `&app(arg)` on originate). */
export const FsApp = {
  socket: (host: string, port: number) => ({ app: 'socket', arg: `${host}:${port} async full` }),
  answer: () => ({ app: 'answer', arg: '' }),
  playback: (path: string) => ({ app: 'playback', arg: path }),
  bridge: (dialString: string) => ({ app: 'bridge', arg: dialString }),
  hangup: (cause = 'NORMAL_CLEARING') => ({ app: 'hangup', arg: cause }),
  park: () => ({ app: 'park', arg: '' }),
  set: (name: string, value: string) => ({ app: 'set', arg: `${name}=${value}` }),
  recordSession: (path: string) => ({ app: 'record_session', arg: path }),
  stopRecordSession: (path: string) => ({ app: 'stop_record_session', arg: path }),
  sleep: (ms: number) => ({ app: 'sleep', arg: String(ms) }),
  conference: (name: string) => ({ app: 'conference', arg: name }),
  eavesdrop: (uuid: string) => ({ app: 'eavesdrop', arg: uuid }),
  playAndGetDigits: (
    min: number,
    max: number,
    tries: number,
    timeoutMs: number,
    file: string,
    varName: string,
    regex: string,
  ) => ({
    app: 'play_and_get_digits',
    arg: `${min} ${max} ${tries} ${timeoutMs} # ${file} silence_stream://250 ${varName} ${regex}`,
  }),
} as const;

export const appString = (a: { app: string; arg: string }): string => `${a.app}(${a.arg})`;

/** The originate application that hands an answered leg to our outbound socket. */
export const socketAppFor = (host: string, port: number): string => appString(FsApp.socket(host, port));

/** Extensions registered on the profile, from `sofia status profile internal reg` ("User: 1000@domain" lines). */
export function parseRegisteredUsers(text: string): string[] {
  const users = new Set<string>();
  for (const m of text.matchAll(/^User:\s*([^@\s]+)@/gm)) users.add(m[1]);
  return [...users];
}

/** Rows of `show channels as json` (`{"row_count": 0}` when empty). */
export function parseChannelRows(text: string): Record<string, string>[] {
  try {
    const parsed = JSON.parse(text) as { rows?: Record<string, string>[] };
    return parsed.rows ?? [];
  } catch {
    return [];
  }
}

/**
 * The headers of `sendmsg` `call-command: unicast` (answering-machine detection, issue 23): FreeSWITCH binds
 * `local-ip:local-port` and sends the parked leg's audio from there to `remote-ip:remote-port` as UDP datagrams of
 * L16 at the leg's rate, whatever `transport` says (switch_ivr_activate_unicast creates a SOCK_DGRAM socket; checked
 * live by test/live/amd.test.ts). No `flags: native`: L16 needs no decoding on our side and CNG comes as silence.
 */
export function unicastHeaders(
  fs: { ip: string; port: number },
  us: { ip: string; port: number },
): [string, string][] {
  return [
    ['call-command', 'unicast'],
    ['local-ip', fs.ip],
    ['local-port', String(fs.port)],
    ['remote-ip', us.ip],
    ['remote-port', String(us.port)],
    ['transport', 'udp'],
  ];
}
