// WebSocket endpoints, both served by `ws` in noServer mode behind the upgrade router: plain STOMP over WebSocket
// (one frame or more per message) and SockJS's websocket transport (STOMP text inside SockJS framing).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Clock } from '../../core/clock.js';
import type { Broker, BrokerSession, StompTransport } from '../types.js';
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

/**
 * A server's WebSocket text message (RFC 6455 §5.2: FIN, opcode 1, no mask) holding `payload`. The last one is
 * kept: a publish hands the same bytes to every session, so the frame is built once and written to each socket.
 */
let lastPayload: Buffer | undefined;
let lastFrame: Buffer | undefined;
function textFrame(payload: Buffer): Buffer {
  if (payload === lastPayload && lastFrame) return lastFrame;
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x81;
  if (head === 2) frame[1] = n;
  else if (head === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(frame, head);
  lastPayload = payload;
  lastFrame = frame;
  return frame;
}

/**
 * Plain STOMP over one WebSocket. A class rather than closures: thousands of idle sessions each paid for them.
 * MESSAGE frames are written to the upgraded socket as ready-made WebSocket frames (ws would frame and copy them
 * once per socket); ws has no queue of its own without permessage-deflate, which we do not offer, so the socket's
 * order is the message order, and ws still writes its pings, pongs and close frame to the same socket.
 */
class WebSocketTransport implements StompTransport {
  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
    private readonly maxBufferedBytes: number,
  ) {}

  send(message: string): void {
    if (this.tooSlow()) return;
    this.ws.send(message);
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
function onStompClose(this: WebSocket): void {
  stompOf.get(this)?.transportClosed();
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
    // No STOMP subprotocol offered (SockJS, simple clients) is fine: we speak STOMP anyway.
    handleProtocols: (offered) => STOMP_SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
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
    ws.on('close', () => session.destroy());
    ws.on('error', () => ws.terminate());
  }

  return {
    stomp(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => serveStomp(ws, req, socket));
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
