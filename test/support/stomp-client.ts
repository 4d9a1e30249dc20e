// A real STOMP client (@stomp/stompjs over ws) for component tests of the app: collects messages per destination.
import { Client, type IFrame, type IStompSocket } from '@stomp/stompjs';
import WebSocket from 'ws';

export interface AppStompClient {
  client: Client;
  errors: IFrame[];
  messages: Map<string, unknown[]>;
  /** When each message arrived (Date.now()), parallel to `messages`. */
  arrivals: Map<string, number[]>;
  subscribe(destination: string): void;
  send(destination: string, body: object): void;
  /** Resolves with the first message on `destination` that `match` accepts (already received ones count). */
  next<T = Record<string, unknown>>(
    destination: string,
    match?: (m: T) => boolean,
    timeoutMs?: number,
  ): Promise<T>;
  close(): Promise<void>;
}

export async function connectStomp(
  baseUrl: string,
  login: string,
  passcode: string,
  /** For wss:// (an HTTPS baseUrl): the test CA to trust, as `ws` takes it. */
  tls?: { ca: string },
): Promise<AppStompClient> {
  const errors: IFrame[] = [];
  const messages = new Map<string, unknown[]>();
  const arrivals = new Map<string, number[]>();
  const waiters = new Set<() => void>();
  const client = new Client({
    webSocketFactory: () =>
      new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/callcenter/ws`, tls) as unknown as IStompSocket,
    connectHeaders: { login, passcode },
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    debug: () => undefined,
  });
  await new Promise<void>((resolve) => {
    client.onConnect = () => resolve();
    client.onStompError = (f) => {
      errors.push(f);
      for (const w of waiters) w();
      resolve();
    };
    client.onWebSocketClose = () => resolve();
    client.activate();
  });
  const self: AppStompClient = {
    client,
    errors,
    messages,
    arrivals,
    subscribe(destination) {
      client.subscribe(destination, (m) => {
        const list = messages.get(destination) ?? [];
        list.push(m.headers['content-type']?.startsWith('application/json') ? JSON.parse(m.body) : m.body);
        messages.set(destination, list);
        arrivals.set(destination, [...(arrivals.get(destination) ?? []), Date.now()]);
        for (const w of waiters) w();
      });
    },
    send(destination, body) {
      client.publish({
        destination,
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
    },
    next<T>(destination: string, match: (m: T) => boolean = () => true, timeoutMs = 3000) {
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          const found = (messages.get(destination) as T[] | undefined)?.find(match);
          if (found !== undefined) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no matching message on ${destination} within ${timeoutMs} ms; got ${JSON.stringify(messages.get(destination) ?? [])}; errors ${errors.map((e) => e.headers.message).join(', ')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      await client.deactivate();
    },
  };
  return self;
}
