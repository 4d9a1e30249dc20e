// `api` / `bgapi` commands, with the reply texts and listing formats of the captures.
import { randomUUID } from 'node:crypto';
import type { Channel } from './channel.js';
import type { EmulatorCore } from './emulator.js';
import { commonHeaders } from './events.js';
import { show, sofia, status } from './listings.js';
import { splitArgs } from './dialstring.js';

export const VERSION = 'FreeSWITCH Version 1.11.1-release~64bit ( 64bit)\n';

type ApiHandler = (core: EmulatorCore, args: string) => string | Promise<string>;

const channelOf = (core: EmulatorCore, uuid: string | undefined): Channel | undefined =>
  uuid ? core.sw.channels.get(uuid) : undefined;

const NO_SUCH_CHANNEL = '-ERR No such channel!\n';

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
    // uuid_transfer <uuid> [-bleg|-both] <dest> [<dialplan>] [<context>]
    const [dest = '', , context] = rest.filter((r) => r !== '-bleg' && r !== '-both');
    ch.transfers++;
    core.sw.soon(() => {
      core.sw.stopRuns(ch);
      if (dest.startsWith('park') || dest === '&park()') core.apps.enqueue(ch, 'park', '');
      else core.runDialplan(ch, dest, context);
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
    // switch_ivr_broadcast queues a message the park loop (or, on a bridged leg, the bridge loop) runs and then
    // reports as a COMMAND event.
    const reported = () =>
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
      });
    if (ch.bridgedTo) core.sw.soon(() => ch.alive && core.apps.runInside(ch, app, arg, reported));
    else core.apps.enqueue(ch, app, arg, randomUUID(), reported);
    return '+OK Message sent\n';
  },
  uuid_break(core, args) {
    const [uuid] = args.trim().split(/\s+/);
    const ch = channelOf(core, uuid);
    if (!ch?.alive) return NO_SUCH_CHANNEL;
    core.sw.soon(() => {
      const run = core.sw.foregroundRun(ch);
      if (run && !run.ignoresBreak) run.stop('break');
    });
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
  global_getvar: (core, args) => core.globals.get(args.trim()) ?? '',
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
