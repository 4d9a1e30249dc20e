// WebSocket endpoints, both served by `ws` in noServer mode behind the upgrade router: plain STOMP over WebSocket
// (one frame or more per message) and SockJS's websocket transport (STOMP text inside SockJS framing).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Clock } from '../../core/clock.js';
import type { Broker, BrokerSession, StompTransport } from '../types.js';
import { decodeClientPayload } from './sockjs-frames.js';
import { SockJsSession, type SockJsTimings } from './sockjs-session.js';
import { releaseUpgradedSocket } from './upgrade-router.js';
import { textFrame, textFrameOf } from './ws-frame.js';

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

/** The one we prefer of those offered; none offered (SockJS, simple clients) is fine: we speak STOMP anyway. */
function chooseSubprotocol(offered: Set<string>): string | false {
  for (const p of STOMP_SUBPROTOCOLS) if (offered.has(p)) return p;
  return false;
}

function text(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/**
 * Plain STOMP over one WebSocket. A class rather than closures: thousands of idle sessions each paid for them.
 * MESSAGE frames are written to the upgraded socket as ready-made WebSocket frames (ws would frame and copy them
 * once per socket), and the session's own frames (CONNECTED, RECEIPT, ERROR, heart-beats) are encoded straight into
 * one frame each. ws queues nothing of its own unless it compresses (we offer no permessage-deflate) or reads a Blob
 * (we send none), so the socket's order is the message order, and ws still writes its own frames (pongs, close) to
 * the same socket. ws.bufferedAmount counts what the socket holds unsent, ours too.
 */
class WebSocketTransport implements StompTransport {
  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
    private readonly maxBufferedBytes: number,
  ) {}

  send(message: string): void {
    if (this.ws.readyState !== WebSocket.OPEN || this.tooSlow()) return;
    this.socket.write(textFrameOf(message));
  }

  sendBytes(bytes: Buffer): void {
    if (this.ws.readyState !== WebSocket.OPEN || this.tooSlow()) return;
    this.socket.write(textFrame(bytes));
  }

  close(): void {
    this.ws.close(1000, 'STOMP session ended');
  }

  /**
   * A client that stops reading (a frozen tab, a dead network) would make the server buffer every message published
   * to it; past the limit the socket is dropped and the client reconnects and resubscribes.
   */
  private tooSlow(): boolean {
    if (this.ws.bufferedAmount <= this.maxBufferedBytes) return false;
    this.ws.terminate();
    return true;
  }
}

// The socket's listeners are shared by every session (`this` is the socket), not three closures per session.
const stompOf = new WeakMap<WebSocket, BrokerSession>();
function onStompMessage(this: WebSocket, data: RawData): void {
  stompOf.get(this)?.receive(text(data));
}
function onSocketError(this: WebSocket): void {
  this.terminate();
}

export function createWebSocketEndpoints(
  broker: Broker,
  options: {
    clock: Clock;
    timings: SockJsTimings;
    maxPayloadBytes: number;
    maxBufferedBytes: number;
    /** The client's address behind a trusted proxy (src/api/client-address.ts); default the peer's. */
    clientAddress?: (req: IncomingMessage) => string;
  },
): WebSocketEndpoints {
  const wss = new WebSocketServer({
    noServer: true,
    // ws's default, spelled out: WebSocketTransport writes MESSAGE frames to the socket itself, which a compressing
    // Sender (it queues while deflating) would reorder.
    perMessageDeflate: false,
    maxPayload: options.maxPayloadBytes,
    // Our own set of open sockets (below) instead of ws's, which adds a closure of its own to every socket's
    // 'close' listeners, kept as long as the session lives (issue 21: RSS per idle session).
    clientTracking: false,
    handleProtocols: chooseSubprotocol,
  });
  /** Every open socket of both endpoints, for `close`. */
  const open = new Set<WebSocket>();
  // One listener for every plain STOMP socket (`this` is the socket), not a closure per session.
  function onStompClose(this: WebSocket): void {
    open.delete(this);
    stompOf.get(this)?.transportClosed();
  }
  let sockjsSeq = 0;
  const addressOf = options.clientAddress ?? ((req: IncomingMessage) => req.socket.remoteAddress);

  /** As WebSocketTransport's `send`, for SockJS frames (strings). */
  function sendOrDrop(ws: WebSocket, text: string): void {
    if (ws.bufferedAmount > options.maxBufferedBytes) {
      ws.terminate();
      return;
    }
    ws.send(text);
  }

  function serveStomp(ws: WebSocket, req: IncomingMessage, socket: Duplex): void {
    const session = broker.openSession(new WebSocketTransport(ws, socket, options.maxBufferedBytes), {
      transport: 'websocket',
      remoteAddress: addressOf(req),
    });
    stompOf.set(ws, session);
    open.add(ws);
    ws.on('message', onStompMessage);
    ws.on('close', onStompClose);
    ws.on('error', onSocketError);
  }

  function serveSockJs(ws: WebSocket, req: IncomingMessage): void {
    const session = new SockJsSession(
      `ws-${++sockjsSeq}`,
      broker,
      options.clock,
      options.timings,
      { transport: 'sockjs-websocket', remoteAddress: addressOf(req) },
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
    open.add(ws);
    ws.on('close', () => {
      open.delete(ws);
      session.destroy();
    });
    ws.on('error', () => ws.terminate());
  }

  return {
    // Once ws has the socket it listens for the socket's errors itself (and ends the WebSocket on one).
    stomp(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => {
        releaseUpgradedSocket(socket);
        serveStomp(ws, req, socket);
      });
    },
    sockjs(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => {
        releaseUpgradedSocket(socket);
        serveSockJs(ws, req);
      });
    },
    close() {
      for (const ws of [...open]) ws.terminate();
      wss.close();
    },
  };
}
