// Listings as FreeSWITCH prints them: `show …` (CSV or JSON), `status`, `sofia status …`.
import type { Channel } from './channel.js';
import type { EmulatorCore } from './emulator.js';
import { localStamp } from './events.js';

const CHANNEL_FIELDS = [
  'uuid',
  'direction',
  'created',
  'created_epoch',
  'name',
  'state',
  'cid_name',
  'cid_num',
  'ip_addr',
  'dest',
  'application',
  'application_data',
  'dialplan',
  'context',
  'read_codec',
  'read_rate',
  'read_bit_rate',
  'write_codec',
  'write_rate',
  'write_bit_rate',
  'secure',
  'hostname',
  'presence_id',
  'presence_data',
  'accountcode',
  'callstate',
  'callee_name',
  'callee_num',
  'callee_direction',
  'call_uuid',
  'sent_callee_name',
  'sent_callee_num',
  'initial_cid_name',
  'initial_cid_num',
  'initial_ip_addr',
  'initial_dest',
  'initial_dialplan',
  'initial_context',
];

function channelRow(ch: Channel): Record<string, string> {
  const created = new Date(ch.times.created / 1000);
  const codec = ch.codec;
  const p = ch.profile;
  return {
    uuid: ch.uuid,
    direction: p.direction,
    created: localStamp(created),
    created_epoch: String(Math.floor(ch.times.created / 1_000_000)),
    name: ch.name,
    state: ch.state,
    cid_name: p.callerIdName,
    cid_num: p.callerIdNumber,
    ip_addr: p.direction === 'inbound' ? '127.0.0.1' : '',
    dest: p.destinationNumber,
    application: ch.vars.get('current_application') ?? '',
    application_data: ch.vars.get('current_application_data') ?? '',
    dialplan: p.username !== undefined ? 'XML' : '',
    context: p.context,
    read_codec: codec ? 'PCMU' : '',
    read_rate: codec ? '8000' : '',
    read_bit_rate: codec ? '64000' : '',
    write_codec: codec ? 'PCMU' : '',
    write_rate: codec ? '8000' : '',
    write_bit_rate: codec ? '64000' : '',
    secure: '',
    hostname: 'vm',
    presence_id: ch.vars.get('presence_id') ?? '',
    presence_data: '',
    accountcode: '',
    callstate: ch.callState,
    callee_name: p.calleeIdName ?? '',
    callee_num: p.calleeIdNumber ?? '',
    callee_direction: ch.answered && p.direction === 'outbound' ? 'RECV' : '',
    call_uuid: ch.uuid,
    sent_callee_name: '',
    sent_callee_num: '',
    initial_cid_name: p.origCallerIdName ?? '',
    initial_cid_num: p.origCallerIdNumber ?? '',
    initial_ip_addr: '',
    initial_dest: p.destinationNumber,
    initial_dialplan: '',
    initial_context: p.context,
  };
}

/** `show X` output: CSV with "N total." or `as json` with `{"row_count": 0}` (note the space) when empty. */
function table(fields: string[], rows: Record<string, string>[], json: boolean): string {
  if (json) {
    if (rows.length === 0) return '{"row_count": 0}\n';
    return JSON.stringify({ row_count: rows.length, rows }) + '\n';
  }
  if (rows.length === 0) return '\n0 total.\n';
  return `${fields.join(',')}\n${rows.map((r) => fields.map((f) => r[f] ?? '').join(',')).join('\n')}\n\n${rows.length} total.\n`;
}

const REG_FIELDS = [
  'reg_user',
  'realm',
  'token',
  'url',
  'expires',
  'network_ip',
  'network_port',
  'network_proto',
  'hostname',
  'metadata',
];

export function show(core: EmulatorCore, args: string): string {
  const words = args.trim().split(/\s+/);
  const json = /\bas json$/.test(args.trim());
  switch (words[0]) {
    case 'channels':
    case 'calls':
    case 'detailed_calls':
      return table(CHANNEL_FIELDS, core.sw.liveChannels().map(channelRow), json);
    case 'bridged_calls':
      return table(
        CHANNEL_FIELDS,
        core.sw
          .liveChannels()
          .filter((c) => c.bridgedTo)
          .map(channelRow),
        json,
      );
    case 'registrations':
      return table(
        REG_FIELDS,
        [...core.registrations.values()].map((r) => ({
          reg_user: r.ext,
          realm: '127.0.0.1',
          token: r.callId,
          url: `sofia/internal/sip:${r.ext}@127.0.0.1:${r.networkPort}`,
          expires: String(r.expires),
          network_ip: '127.0.0.1',
          network_port: String(r.networkPort),
          network_proto: 'udp',
          hostname: 'vm',
          metadata: '',
        })),
        json,
      );
    default:
      return '-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits|status\n';
  }
}

export function status(core: EmulatorCore): string {
  const up = Date.now() - core.sw.startedAt;
  const s = Math.floor(up / 1000);
  const o = core.options;
  const live = core.sw.liveCount();
  return (
    `UP 0 years, 0 days, ${Math.floor(s / 3600)} hours, ${Math.floor(s / 60) % 60} minutes, ${s % 60} seconds, ${up % 1000} milliseconds, 0 microseconds\n` +
    'FreeSWITCH (Version 1.11.1-release  64bit) is ready\n' +
    `${core.sw.sessionsSinceStartup} session(s) since startup\n` +
    `${live} session(s) - peak ${core.sw.peakSessions}, last 5min ${core.sw.peakSessions} \n` +
    `0 session(s) per Sec out of max ${o.sessionsPerSecond}, peak 0, last 5min 0 \n` +
    `${o.maxSessions} session(s) max\nmin idle cpu 0.00/100.00\nCurrent Stack Size/Max 240K/8192K\n`
  );
}

export function sofia(core: EmulatorCore, args: string): string {
  const w = args.trim().split(/\s+/);
  const rule = '='.repeat(97) + '\n';
  if (w[0] === 'status' && w[1] === 'gateway' && w[2]) {
    return `Invalid Gateway!\n`.replace('Invalid Gateway!\n', gatewayStatus(w[2], rule));
  }
  if (w[0] === 'status' && w.length === 1) {
    return (
      '                     Name\t   Type\t                                      Data\tState\n' +
      rule +
      '                127.0.0.1\t  alias\t                                  internal\tALIASED\n' +
      '                 external\tprofile\t                  sip:mod_sofia@127.0.0.1:15080\tRUNNING (0)\n' +
      '                 internal\tprofile\t                  sip:mod_sofia@127.0.0.1:15060\tRUNNING (0)\n' +
      rule +
      `2 profiles 1 alias\n`
    );
  }
  if (w[0] === 'profile' && w[2] === 'flush_inbound_reg') {
    const target = w[3]?.split('@')[0];
    for (const ext of [...core.registrations.keys()])
      if (!target || ext === target) core.unregister(ext, 'sofia::expire');
    return '+OK\n';
  }
  if (w[0] === 'status' && w[1] === 'profile' && w[3] === 'reg') return registrationListing(core, w[4], rule);
  if (w[0] === 'status' || w[0] === 'profile') return '+OK\n';
  return '-ERR Unknown command!\n';
}

/** `sofia status profile internal reg [user]`, in the layout of inbound-sipp-register-and-flush.txt. */
function registrationListing(core: EmulatorCore, user: string | undefined, rule: string): string {
  const rows = [...core.registrations.values()].filter((r) => !user || r.ext === user);
  const blocks = rows.map(
    (r) =>
      `Call-ID:    \t${r.callId}\nUser:       \t${r.ext}@127.0.0.1\nContact:    \t"" <sip:${r.ext}@127.0.0.1:${r.networkPort}>\n` +
      `Agent:      \tsipp-lab-phone\nStatus:     \tRegistered(UDP)(unknown) EXP(2026-11-23 21:02:01) EXPSECS(3600)\n` +
      `Ping-Status:\tReachable\nPing-Time:\t0.00\nHost:       \tvm\nIP:         \t127.0.0.1\nPort:       \t${r.networkPort}\n` +
      `Auth-User:  \t${r.ext}\nAuth-Realm: \t127.0.0.1\nMWI-Account:\t${r.ext}@127.0.0.1\n\n`,
  );
  return `\nRegistrations:\n${rule}${blocks.join('')}Total items returned: ${rows.length}\n${rule}`;
}

function gatewayStatus(name: string, rule: string): string {
  return (
    rule +
    `Name    \t${name}\nProfile \texternal\nScheme  \tDigest\nRealm   \t127.0.0.1\nUsername\tlabuser\nPassword\tyes\n` +
    `State   \tNOREG\nStatus  \tUP\nCallsIN \t0\nCallsOUT\t0\nFailedCallsIN \t0\nFailedCallsOUT\t0\n` +
    rule
  );
}
