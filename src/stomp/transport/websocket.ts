// WebSocket endpoints, both served by `ws` in noServer mode behind the upgrade router: plain STOMP over WebSocket
// (one frame or more per message) and SockJS's websocket transport (STOMP text inside SockJS framing).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Clock } from '../../core/clock.js';
import type { Broker } from '../types.js';
import { decodeClientPayload } from './sockjs-frames.js';
import { SockJsSession, type SockJsTimings } from './sockjs-session.js';

/** STOMP's registered subprotocols; stompjs offers all three and reads the chosen one. */
const STOMP_SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

export interface WebSocketEndpoints {
  /** Plain STOMP over WebSocket. */
  stomp(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** SockJS `/<server>/<session>/websocket`. */
  sockjs(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Terminates every open socket (server shutdown). */
  close(): void;
}

function text(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

export function createWebSocketEndpoints(
  broker: Broker,
  options: { clock: Clock; timings: SockJsTimings; maxPayloadBytes: number; maxBufferedBytes: number },
): WebSocketEndpoints {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes,
    // No STOMP subprotocol offered (SockJS, simple clients) is fine: we speak STOMP anyway.
    handleProtocols: (offered) => STOMP_SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
  let sockjsSeq = 0;

  /**
   * A client that stops reading (a frozen tab, a dead network) would make the server buffer every message published
   * to it; past the limit the socket is dropped and the client reconnects and resubscribes.
   */
  function sendOrDrop(ws: WebSocket, text: string): void {
    if (ws.bufferedAmount > options.maxBufferedBytes) {
      ws.terminate();
      return;
    }
    ws.send(text);
  }

  function serveStomp(ws: WebSocket, req: IncomingMessage): void {
    const session = broker.openSession(
      {
        send: (t) => sendOrDrop(ws, t),
        close: () => ws.close(1000, 'STOMP session ended'),
      },
      { transport: 'websocket', remoteAddress: req.socket.remoteAddress },
    );
    ws.on('message', (data) => session.receive(text(data)));
    ws.on('close', () => session.transportClosed());
    ws.on('error', () => ws.terminate());
  }

  function serveSockJs(ws: WebSocket, req: IncomingMessage): void {
    const session = new SockJsSession(
      `ws-${++sockjsSeq}`,
      broker,
      options.clock,
      options.timings,
      { transport: 'sockjs-websocket', remoteAddress: req.socket.remoteAddress },
      () => undefined,
    );
    session.attach(
      {
        write: (frame) => (sendOrDrop(ws, frame), true),
        end: () => ws.close(3000, 'Go away!'),
      },
      true,
    );
    ws.on('message', (data) => {
      const payload = text(data).toString('utf8');
      // An empty message is a client keep-alive in some SockJS clients; anything unreadable ends the session.
      if (payload === '') return;
      const messages = decodeClientPayload(payload);
      if ('error' in messages) {
        session.destroy();
        return;
      }
      session.deliver(messages);
    });
    ws.on('close', () => session.destroy());
    ws.on('error', () => ws.terminate());
  }

  return {
    stomp(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => serveStomp(ws, req));
    },
    sockjs(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => serveSockJs(ws, req));
    },
    close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
