// The socket application: for a leg running `socket host:port async full`, the switch connects to the client
// and lets it drive the leg (connect reply, myevents, linger, sendmsg), then says goodbye as captured.
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { runApi, runBackground } from './api-commands.js';
import type { Channel } from './channel.js';
import type { EmulatorCore } from './emulator.js';
import { commonHeaders } from './events.js';
import { sendmsg } from './inbound.js';
import { Subscription } from './subscription.js';
import {
  apiResponse,
  commandReply,
  CommandReader,
  connectReply,
  header,
  lingerNotice,
  outboundDisconnectNotice,
} from './wire.js';
import type { ClientCommand } from './wire.js';

/** `refused`: nobody accepted the connection (the socket app then tries its next address, if any). */
export function connectOutbound(
  core: EmulatorCore,
  ch: Channel,
  host: string,
  port: number,
  refused: () => void = () => core.socketEnded(ch, 'refused'),
): void {
  const socket = connect({ host, port });
  const transfers = ch.transfers;
  core.sockets.add(socket);
  const reader = new CommandReader();
  const sub = new Subscription();
  /** undefined: no linger; -1: linger until exit; n: linger n seconds. */
  let linger: number | undefined;
  let connected = false;
  let done = false;
  let closing = false;
  let chain = Promise.resolve();

  const write = (bytes: Buffer) => {
    if (!socket.destroyed && !closing) socket.write(bytes);
  };
  const close = () => {
    if (closing) return;
    write(outboundDisconnectNotice(ch.uuid));
    closing = true;
    socket.end();
  };
  let noticed = false;
  const disconnectNotice = () => {
    if (noticed) return;
    noticed = true;
    if (linger === undefined) return close();
    write(lingerNotice(ch.uuid, ch.name, linger));
    if (linger >= 0) core.sw.after(linger * 1000, close);
  };
  const lag = core.options.outboundEventLagMs;
  const unsubscribe = core.sw.subscribe((event) => {
    if (!connected || done) return;
    // mod_event_socket's listener loop writes the notice itself as soon as the leg is down (CHANNEL_HANGUP has been
    // fired), not through the event queue: in the live captures it follows CHANNEL_HANGUP at once or a few events
    // later, always before CHANNEL_HANGUP_COMPLETE. With a lagging dispatch it comes before CHANNEL_HANGUP itself.
    const down = event.name === 'CHANNEL_HANGUP' && event.uuid === ch.uuid;
    const bytes = sub.wants(event) ? sub.encode(event) : undefined;
    if (lag) {
      if (down) disconnectNotice();
      if (bytes) core.sw.after(lag, () => write(bytes));
      return;
    }
    if (bytes) write(bytes);
    if (down) disconnectNotice();
  });
  core.sw.onComplete(ch, () => {
    // Events stop after CHANNEL_HANGUP_COMPLETE: no CHANNEL_DESTROY reaches the outbound socket.
    done = true;
    core.sw.soon(disconnectNotice);
  });
  let resumed = false;
  let wasRefused = false;
  socket.on('error', () => {
    // Nobody listens: the socket app tries its next address, or returns and the dialplan goes on.
    if (!connected && !wasRefused) {
      wasRefused = true;
      refused();
    }
  });
  socket.on('close', () => {
    unsubscribe();
    core.sockets.delete(socket);
    // The client went away while the call was up: after `resume` the dialplan goes on, otherwise the leg ends;
    // unless a transfer took the leg elsewhere meanwhile (it is no longer this socket's).
    if (connected && ch.alive && ch.transfers === transfers)
      core.socketEnded(ch, resumed ? 'resumed' : 'dropped');
  });
  socket.on('data', (chunk) => {
    for (const command of reader.push(chunk)) {
      core.commands.push({ from: ch.uuid, line: command.line, headers: command.headers, at: Date.now() });
      chain = chain.then(() => handle(command));
    }
  });

  async function handle(command: ClientCommand): Promise<void> {
    if (closing) return;
    const line = command.line.trim();
    const space = line.indexOf(' ');
    const verb = (space < 0 ? line : line.slice(0, space)).toLowerCase();
    const rest = space < 0 ? '' : line.slice(space + 1).trim();
    if (!connected) {
      if (verb !== 'connect') {
        write(commandReply('-ERR command not found'));
        return;
      }
      connected = true;
      const data = [
        ...commonHeaders('CHANNEL_DATA', core.sw.identity, core.sw),
        ...ch.connectProfile(),
        ...ch.data(true),
      ];
      write(connectReply(data));
      return;
    }
    switch (verb) {
      case 'myevents':
        sub.add(rest.split(/\s+/).filter(Boolean));
        sub.mine(ch.uuid);
        write(commandReply('+OK Events Enabled'));
        return;
      case 'event':
        write(commandReply(sub.add(rest.split(/\s+/).filter(Boolean))));
        return;
      case 'nixevent':
        write(commandReply(sub.nix(rest.split(/\s+/).filter(Boolean))));
        return;
      case 'noevents':
        sub.clear();
        write(commandReply('+OK no longer listening for events'));
        return;
      case 'filter':
        write(commandReply(sub.filter(rest)));
        return;
      case 'linger':
        linger = rest ? Number(rest) : -1;
        write(commandReply(rest ? `+OK will linger ${rest} seconds` : '+OK will linger'));
        return;
      case 'nolinger':
        linger = undefined;
        write(commandReply('+OK will not linger'));
        return;
      case 'resume':
        resumed = true;
        write(commandReply('+OK'));
        return;
      case 'getvar': {
        write(commandReply(ch.vars.get(rest) ?? ''));
        return;
      }
      case 'api': {
        const i = rest.indexOf(' ');
        const [cmd, args] = i < 0 ? [rest, ''] : [rest.slice(0, i), rest.slice(i + 1)];
        write(apiResponse(await runApi(core, cmd, args)));
        return;
      }
      case 'bgapi': {
        const i = rest.indexOf(' ');
        const [cmd, args] = i < 0 ? [rest, ''] : [rest.slice(0, i), rest.slice(i + 1)];
        const jobUuid = header(command.headers, 'Job-UUID') ?? randomUUID();
        write(commandReply(`+OK Job-UUID: ${jobUuid}`, [['Job-UUID', jobUuid]]));
        runBackground(core, cmd, args, (body) =>
          core.sw.publish('BACKGROUND_JOB', {
            pre: [
              ['Job-UUID', jobUuid],
              ['Job-Command', cmd],
              ['Job-Command-Arg', args],
            ],
            body,
          }),
        );
        return;
      }
      case 'sendmsg':
        // Accepted even after the hangup (capture: `bridge` after the caller hung up still gets +OK).
        write(commandReply('+OK'));
        sendmsg(core, rest || ch.uuid, command);
        return;
      case 'exit':
        write(commandReply('+OK bye'));
        close();
        return;
      default:
        write(commandReply('-ERR command not found'));
    }
  }
}
