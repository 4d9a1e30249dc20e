// The inbound event socket (what clients reach on :8021): auth, api/bgapi, subscriptions, sendmsg, exit.
import { startUnicast } from './unicast.js';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { runBackground } from './api-commands.js';
import type { EmulatorCore } from './emulator.js';
import { Subscription } from './subscription.js';
import {
  apiResponse,
  authRequest,
  commandReply,
  CommandReader,
  header,
  inboundDisconnectNotice,
} from './wire.js';
import type { ClientCommand } from './wire.js';

let connectionCount = 0;

export function serveInbound(core: EmulatorCore, socket: Socket): void {
  const id = `inbound-${++connectionCount}`;
  const reader = new CommandReader();
  const sub = new Subscription();
  let authed = false;
  let closing = false;
  let chain = Promise.resolve();
  core.sockets.add(socket);
  core.inboundSockets.add(socket);

  const write = (bytes: Buffer) => {
    if (!socket.destroyed && !closing) socket.write(bytes);
  };
  // Events raised while an api command runs wait until its response is out: the listener's thread runs the
  // command and delivers the queued events afterwards (a blocking `api originate` in the captures gets its
  // `+OK <uuid>` first, then the whole CHANNEL_OUTGOING … CHANNEL_PARK sequence).
  let held: Buffer[] | undefined;
  const release = () => {
    const pending = held ?? [];
    held = undefined;
    for (const bytes of pending) write(bytes);
  };
  const unsubscribe = core.sw.subscribe((event) => {
    if (!authed || !sub.wants(event)) return;
    const bytes = sub.encode(event);
    if (held) held.push(bytes);
    else write(bytes);
  });
  const goodbye = () => {
    if (closing) return;
    if (!socket.destroyed) socket.write(inboundDisconnectNotice());
    closing = true;
    socket.end();
  };
  socket.on('close', () => {
    unsubscribe();
    core.sockets.delete(socket);
    core.inboundSockets.delete(socket);
  });
  socket.on('error', () => undefined);
  socket.on('data', (chunk) => {
    for (const command of reader.push(chunk)) {
      core.commands.push({ from: id, line: command.line, headers: command.headers, at: Date.now() });
      // mod_event_socket handles one command at a time per connection: a blocking `api originate` holds the rest.
      chain = chain.then(() => handle(command));
    }
  });
  write(authRequest());

  async function handle(command: ClientCommand): Promise<void> {
    if (closing) return;
    const line = command.line.trim();
    const space = line.indexOf(' ');
    const verb = (space < 0 ? line : line.slice(0, space)).toLowerCase();
    const rest = space < 0 ? '' : line.slice(space + 1);
    if (!authed) {
      // mod_event_socket's parse_command: `exit` works before auth; anything but `auth` gets no reply at all.
      if (verb === 'exit') {
        write(commandReply('+OK bye'));
        goodbye();
        return;
      }
      if (verb !== 'auth') return;
      if (rest.trim() === core.options.password) {
        authed = true;
        write(commandReply('+OK accepted'));
      } else {
        write(commandReply('-ERR invalid'));
        goodbye();
      }
      return;
    }
    switch (verb) {
      case 'api': {
        const [cmd, args] = splitCommand(rest);
        held = [];
        // The response, then what the command caused so far, then the API event, at the moment the result is
        // known (a blocking originate reports right after the answer, before its application starts).
        await new Promise<void>((resolve) =>
          runBackground(core, cmd, args, (body) => {
            write(apiResponse(body));
            release();
            publishApiEvent(core, cmd, args);
            resolve();
          }),
        );
        return;
      }
      case 'bgapi': {
        const [cmd, args] = splitCommand(rest);
        const jobUuid = header(command.headers, 'Job-UUID') ?? randomUUID();
        write(commandReply(`+OK Job-UUID: ${jobUuid}`, [['Job-UUID', jobUuid]]));
        core.sw.soon(() => {
          runBackground(core, cmd, args, (body) => {
            publishApiEvent(core, cmd, args);
            core.sw.publish('BACKGROUND_JOB', {
              pre: [
                ['Job-UUID', jobUuid],
                ['Job-Command', cmd],
                ...(args ? ([['Job-Command-Arg', args]] as [string, string][]) : []),
              ],
              body,
            });
          });
        });
        return;
      }
      case 'event':
        write(commandReply(sub.add(rest.trim().split(/\s+/).filter(Boolean))));
        return;
      case 'nixevent':
        write(commandReply(sub.nix(rest.trim().split(/\s+/).filter(Boolean))));
        return;
      case 'noevents':
        sub.clear();
        write(commandReply('+OK no longer listening for events'));
        return;
      case 'myevents': {
        const words = rest.trim().split(/\s+/).filter(Boolean);
        const uuid = words.find((w) => w !== 'plain' && w !== 'json' && w !== 'xml');
        if (!uuid) {
          write(commandReply('-ERR must specify uuid'));
          return;
        }
        sub.add(words.filter((w) => w !== uuid));
        sub.mine(uuid);
        write(commandReply('+OK Events Enabled'));
        return;
      }
      case 'filter':
        write(commandReply(sub.filter(rest)));
        return;
      case 'log': {
        const level = rest.trim() || '7';
        write(commandReply(`+OK log level ${level} [${level}]`));
        return;
      }
      case 'nolog':
        write(commandReply('+OK no longer logging'));
        return;
      case 'linger':
        write(commandReply('+OK will linger'));
        return;
      case 'nolinger':
        write(commandReply('+OK will not linger'));
        return;
      case 'divert_events':
        write(commandReply('+OK events diverted'));
        return;
      case 'sendmsg': {
        const uuid = rest.trim() || header(command.headers, 'Unique-ID');
        const ch = uuid ? core.sw.channels.get(uuid) : undefined;
        if (!ch) {
          write(commandReply('-ERR invalid session id [' + (uuid ?? '') + ']'));
          return;
        }
        write(commandReply('+OK'));
        // The park loop reports each message it ran as PRIVATE_COMMAND, once the application is done.
        sendmsg(core, ch.uuid, command, () =>
          core.sw.publish('PRIVATE_COMMAND', {
            lead: [['Command', command.line.trim()], ...command.headers],
            channel: ch,
            vars: false,
          }),
        );
        return;
      }
      case 'exit':
        write(commandReply('+OK bye'));
        goodbye();
        return;
      default:
        write(commandReply('-ERR command not found'));
    }
  }
}

function splitCommand(text: string): [string, string] {
  const t = text.trim();
  const i = t.indexOf(' ');
  return i < 0 ? [t, ''] : [t.slice(0, i), t.slice(i + 1).trim()];
}

function publishApiEvent(core: EmulatorCore, cmd: string, args: string): void {
  const pre: [string, string][] = [['API-Command', cmd]];
  if (args) pre.push(['API-Command-Argument', args]);
  core.sw.publish('API', { pre });
}

/** `sendmsg`: execute (with the client's Event-UUID), hangup, unicast (unicast.ts), unhold/nomedia ignored. */
export function sendmsg(core: EmulatorCore, uuid: string, command: ClientCommand, onDone?: () => void): void {
  const ch = core.sw.channels.get(uuid);
  if (!ch) return;
  const callCommand = header(command.headers, 'call-command')?.toLowerCase();
  if (callCommand === 'execute') {
    const app = header(command.headers, 'execute-app-name') ?? '';
    const arg =
      header(command.headers, 'execute-app-arg') ??
      (command.body && header(command.headers, 'content-type') === 'text/plain' ? command.body : '');
    const loops = Number(header(command.headers, 'loops') ?? 1);
    // switch_core_session_execute_application expands ${var} in the argument: the channel's, then the globals.
    const expanded = arg.replace(
      /\$\{(\w+)\}/g,
      (_m, name: string) => ch.vars.get(name) ?? core.globals.get(name) ?? '',
    );
    const eventUuid = header(command.headers, 'Event-UUID') ?? randomUUID();
    const times = Math.max(1, loops);
    for (let i = 0; i < times; i++)
      core.apps.enqueue(ch, app, expanded, eventUuid, i === times - 1 ? onDone : undefined);
  } else if (callCommand === 'unicast') {
    startUnicast(core.sw, ch, (name) => header(command.headers, name));
  } else if (callCommand === 'hangup') {
    const cause = header(command.headers, 'hangup-cause') ?? 'NORMAL_CLEARING';
    core.sw.soon(() => core.kill(ch, cause));
  }
}
