// What FreeSWITCH and we agree on. freeswitch-conf/ must match these; test/unit/freeswitch-conf.test.ts checks it.

/** The dialplan's `socket` target and the originate application for customer legs (architecture §3). */
export const OUTBOUND_SOCKET_DEFAULT = { host: '127.0.0.1', port: 8084 } as const;

/** Inbound event socket of a node (freeswitch-conf/autoload_configs/event_socket.conf.xml). */
export const EVENT_SOCKET_DEFAULT = { host: '127.0.0.1', port: 8021, password: 'ClueCon' } as const;

/** HTTP paths FreeSWITCH calls on us (mod_xml_curl bindings and mod_xml_cdr). */
export const FsHttpPath = {
  xmlCurlConfiguration: '/freeswitch/xml_curl/configuration',
  xmlCurlDirectory: '/freeswitch/xml_curl/directory',
  cdr: '/freeswitch/cdr',
} as const;

/** Dial codes agents call from their softphone (spec 二.9, 二.10). */
export const DialCode = {
  agentLogin: 'agent_login',
  agentLogoff: 'agent_logoff',
  fifoPrefix: 'fifo',
} as const;

/**
 * What a waiting customer and a held off-hook agent hear: FreeSWITCH expands the global variable that
 * freeswitch-conf/callcenter/vars.xml sets (local_stream://moh, or a tone where no music is installed).
 */
export const HOLD_MUSIC = '${cc_hold_music}';
/** Played instead when hold music ends at once (a missing stream), so the leg is never replayed in a tight loop. */
export const HOLD_FALLBACK = 'silence_stream://-1';

/**
 * The channel variable that proves a leg comes from a node's FreeSWITCH (calls/leg-proof.ts): the dialplan sets it
 * from vars.xml's cc_socket_token, our originates set it from the node's token.
 */
export const SOCKET_TOKEN_VAR = 'cc_socket_token';
