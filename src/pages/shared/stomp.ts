/// <reference lib="dom" />
// STOMP to this server (/callcenter/ws, plain WebSocket) with the extension's credentials: subscriptions are kept
// across reconnects, message bodies are parsed as JSON when they are.
import { Client, type IMessage } from '@stomp/stompjs';

import type { LinkState } from './link-state.js';

export type ChannelState = LinkState;

export interface Channel {
  subscribe(destination: string, fn: (body: unknown, destination: string) => void): void;
  /** False when not connected (nothing is sent; STOMP has no queue here). */
  send(destination: string, body: object): boolean;
  readonly connected: boolean;
  close(): Promise<void>;
}

export function stompUrl(loc: Location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/callcenter/ws`;
}

function parse(m: IMessage): unknown {
  const type = m.headers['content-type'] ?? '';
  if (type.startsWith('application/json') || /^\s*[[{]/.test(m.body)) {
    try {
      return JSON.parse(m.body);
    } catch {
      return m.body;
    }
  }
  return m.body;
}

export function openChannel(opts: {
  url: string;
  login: string;
  passcode: string;
  onState(state: ChannelState, detail?: string): void;
}): Channel {
  const subs: Array<[string, (body: unknown, destination: string) => void]> = [];
  /** Whether the current WebSocket got past CONNECT: an ERROR before that is a refused login. */
  let connectedNow = false;
  const client = new Client({
    brokerURL: opts.url,
    connectHeaders: { login: opts.login, passcode: opts.passcode },
    reconnectDelay: 3000,
    heartbeatIncoming: 10_000,
    heartbeatOutgoing: 10_000,
    debug: () => undefined,
  });
  const attach = (dest: string, fn: (body: unknown, destination: string) => void) =>
    client.subscribe(dest, (m) => fn(parse(m), dest));
  client.onConnect = () => {
    connectedNow = true;
    for (const [dest, fn] of subs) attach(dest, fn);
    opts.onState('connected');
  };
  client.onStompError = (frame) => {
    const body = frame.body.trim();
    const why = [frame.headers.message, body].filter((x, i, all) => x && all.indexOf(x) === i).join(': ');
    // A refused login (wrong password, disabled extension, finished project) never succeeds by retrying; an ERROR
    // on an established session (e.g. a refused command, which closes it) is worth a reconnect.
    if (!connectedNow) void client.deactivate();
    opts.onState('refused', why);
  };
  // Every closed socket while the client is active is followed by another attempt (reconnectDelay). No detail: the
  // page keeps one status line for the whole outage (link-state.ts), not a message per attempt.
  client.onWebSocketClose = () => {
    connectedNow = false;
    if (client.active) opts.onState('connecting');
  };
  opts.onState('connecting');
  client.activate();
  return {
    subscribe(destination, fn) {
      subs.push([destination, fn]);
      if (client.connected) attach(destination, fn);
    },
    send(destination, body) {
      if (!client.connected) return false;
      client.publish({
        destination,
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      return true;
    },
    get connected() {
      return client.connected;
    },
    async close() {
      await client.deactivate();
      opts.onState('closed');
    },
  };
}
