// `api` / `bgapi` commands, with the reply texts and listing formats of the captures.
import { randomUUID } from 'node:crypto';
import type { Channel } from './channel.js';
import type { EmulatorCore } from './emulator.js';
import { commonHeaders, localStamp } from './events.js';
import { splitArgs } from './dialstring.js';

export const VERSION = 'FreeSWITCH Version 1.11.1-release~64bit ( 64bit)\n';

type ApiHandler = (core: EmulatorCore, args: string) => string | Promise<string>;

const channelOf = (core: EmulatorCore, uuid: string | undefined): Channel | undefined =>
  uuid ? core.sw.channels.get(uuid) : undefined;

const NO_SUCH_CHANNEL = '-ERR No such channel!\n';

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
    presence_id: '',
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

function show(core: EmulatorCore, args: string): string {
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

function status(core: EmulatorCore): string {
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

function sofia(core: EmulatorCore, args: string): string {
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

function uuidDump(core: EmulatorCore, args: string): string {
  const [uuid, format] = args.trim().split(/\s+/);
  const ch = channelOf(core, uuid);
  if (!ch) return NO_SUCH_CHANNEL;
  const headers = [...commonHeaders('CHANNEL_DATA', core.sw.identity, core.sw), ...ch.data(true)];
  if (format === 'json') return JSON.stringify(Object.fromEntries(headers));
  return headers.map(([k, v]) => `${k}: ${v}\n`).join('');
}

const HANDLERS: Record<string, ApiHandler> = {
  version: () => VERSION,
  status: (core) => status(core),
  show,
  sofia,
  originate: (core, args) => new Promise((resolve) => core.originate(args, resolve)),
  uuid_kill(core, args) {
    const [uuid, cause] = args.trim().split(/\s+/);
    const ch = channelOf(core, uuid);
    if (!ch?.alive) return NO_SUCH_CHANNEL;
    core.kill(ch, cause || 'NORMAL_CLEARING');
    return '+OK\n';
  },
  uuid_exists: (core, args) => (channelOf(core, args.trim())?.alive ? 'true' : 'false'),
  uuid_getvar(core, args) {
    const [uuid, name] = args.trim().split(/\s+/);
    const ch = channelOf(core, uuid);
    if (!ch) return NO_SUCH_CHANNEL;
    return ch.vars.get(name ?? '') ?? '_undef_';
  },
  uuid_setvar(core, args) {
    const [uuid, name, ...value] = args.trim().split(/\s+/);
    const ch = channelOf(core, uuid);
    if (!ch) return NO_SUCH_CHANNEL;
    if (!name) return '-USAGE: <uuid> <var> [value]\n';
    if (value.length) ch.setVar(name, value.join(' '));
    else ch.vars.delete(name);
    return '+OK\n';
  },
  uuid_dump: uuidDump,
  uuid_bridge(core, args) {
    const [ua, ub] = args.trim().split(/\s+/);
    const a = channelOf(core, ua);
    const b = channelOf(core, ub);
    if (!a?.alive || !b?.alive) return `-ERR Invalid uuid ${!a?.alive ? ua : ub}\n`;
    core.sw.soon(() => {
      for (const leg of [a, b]) core.sw.stopRuns(leg);
      if (!b.answered) core.sw.answer(b);
      core.link(a, b);
      core.sw.publish('CHANNEL_BRIDGE', {
        channel: a,
        pre: [
          ['Bridge-A-Unique-ID', a.uuid],
          ['Bridge-B-Unique-ID', b.uuid],
        ],
      });
    });
    return `+OK ${b.uuid}\n`;
  },
  uuid_transfer(core, args) {
    const [uuid, ...rest] = splitArgs(args);
    const ch = channelOf(core, uuid);
    if (!ch?.alive) return NO_SUCH_CHANNEL;
    const dest = rest.filter((r) => r !== '-bleg' && r !== '-both')[0] ?? '';
    core.sw.soon(() => {
      core.sw.stopRuns(ch);
      if (dest.startsWith('park') || dest === '&park()') core.apps.enqueue(ch, 'park', '');
      else core.runDialplan(ch, dest);
    });
    return '+OK\n';
  },
  uuid_broadcast(core, args) {
    const [uuid, path, leg] = splitArgs(args);
    const ch = channelOf(core, uuid);
    if (!ch?.alive || !path) return NO_SUCH_CHANNEL;
    void leg;
    const m = /^([\w_]+)::(.*)$/.exec(path);
    const [app, arg] = m ? [m[1]!, m[2]!.replace(/^\((.*)\)$/, '$1')] : ['playback', path];
    // switch_ivr_broadcast queues a message the park loop runs and then reports as a COMMAND event.
    core.apps.enqueue(ch, app, arg, randomUUID(), () =>
      core.sw.publish('COMMAND', {
        channel: ch,
        vars: false,
        pre: [
          ['call-command', 'execute'],
          ['execute-app-name', app],
          ['execute-app-arg', arg],
          ['event-lock', 'true'],
          ['lead-frames', '5'],
          ...commonHeaders('PRIVATE_COMMAND', core.sw.identity, core.sw),
        ],
      }),
    );
    return '+OK Message sent\n';
  },
  uuid_break(core, args) {
    const [uuid] = args.trim().split(/\s+/);
    const ch = channelOf(core, uuid);
    if (!ch?.alive) return NO_SUCH_CHANNEL;
    core.sw.soon(() => core.sw.foregroundRun(ch)?.stop('break'));
    return '+OK\n';
  },
  uuid_record(core, args) {
    const [uuid, action, path] = args.trim().split(/\s+/);
    const ch = channelOf(core, uuid);
    if (!ch?.alive) return NO_SUCH_CHANNEL;
    if (action === 'start' && path) core.apps.enqueue(ch, 'record_session', path);
    else if (action === 'stop') core.apps.enqueue(ch, 'stop_record_session', path ?? 'all');
    else return '-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n';
    return '+OK Success\n';
  },
  uuid_answer(core, args) {
    const ch = channelOf(core, args.trim());
    if (!ch?.alive) return NO_SUCH_CHANNEL;
    core.sw.answer(ch);
    return '+OK\n';
  },
  uuid_send_dtmf(core, args) {
    const [uuid, digits] = args.trim().split(/\s+/);
    return core.dtmf(uuid ?? '', digits ?? '') ? '+OK\n' : NO_SUCH_CHANNEL;
  },
  conference: (core, args) =>
    core.conferences.api(splitArgs(args), (ch, cause) => core.sw.soon(() => core.kill(ch, cause))),
  hupall(core, args) {
    const cause = args.trim().split(/\s+/)[0] || 'MANAGER_REQUEST';
    core.sw.soon(() => {
      for (const ch of core.sw.liveChannels()) core.kill(ch, cause);
    });
    return '+OK hangup all channels with cause ' + cause + '\n';
  },
  global_getvar: () => '',
  eval: (_core, args) => args,
  create_uuid: () => randomUUID(),
  reloadxml: () => '+OK [Success]\n',
};

/**
 * Runs a command and calls `done` synchronously where the result is known: an originate must report inside the
 * leg's event sequence (README "Event order"), so no promise hop is allowed there.
 */
export function runBackground(
  core: EmulatorCore,
  command: string,
  args: string,
  done: (body: string) => void,
): void {
  if (command === 'originate') {
    core.originate(args, done);
    return;
  }
  void runApi(core, command, args).then(done);
}

export async function runApi(core: EmulatorCore, command: string, args: string): Promise<string> {
  const handler = HANDLERS[command];
  if (!handler) return `-ERR ${command} Command not found!\n`;
  return handler(core, args);
}
