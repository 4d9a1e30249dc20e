// What one client may hold open on the HTTP port (issue #17): connections in all and per client address (agents'
// browsers, SockJS streams and WebSockets included), and how long a request may take to arrive. Without these a
// local script kept thousands of sockets open and trickled a body byte by byte for ever.
import { STATUS_CODES } from 'node:http';
import type { Server, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Metrics } from '../core/metrics.js';
import { normalizeIp } from './auth.js';
import type { TrustedProxies } from '../core/trusted-proxies.js';

/** Request bodies (JSON, forms, CSV uploads) are at most this large; CDRs have their own lower bound. */
export const BODY_LIMIT_BYTES = 5 * 1024 * 1024;

interface ConnectionCaps {
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** Proxies in front (CC_TRUSTED_PROXIES) carry many clients each: only the total caps them. */
  proxies?: TrustedProxies;
}

/**
 * Destroys a new connection past either cap at once (before any byte is read); others count until they close.
 * The total is also node's own `maxConnections`, which drops them before a socket object is even handed out.
 */
export function capConnections(server: Server, caps: ConnectionCaps, metrics: Metrics): void {
  server.maxConnections = caps.maxConnections;
  const perAddress = new Map<string, number>();
  metrics.gauge('http.connectionAddresses', () => perAddress.size);
  server.on('connection', (socket: Socket) => {
    const address = normalizeIp(socket.remoteAddress ?? '');
    if (caps.proxies?.trusts(address)) return;
    const held = perAddress.get(address) ?? 0;
    if (held >= caps.maxConnectionsPerAddress) {
      metrics.inc('http.connectionsRefused');
      socket.destroy();
      return;
    }
    perAddress.set(address, held + 1);
    socket.once('close', () => {
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n <= 0) perAddress.delete(address);
      else perAddress.set(address, n);
    });
  });
}

/** An answer written straight to the socket, in the envelope every other answer uses. */
function rawEnvelope(status: number, msg: string): string {
  const body = JSON.stringify({ reqResult: { code: status, msg } });
  const reason = STATUS_CODES[status] ?? 'Error';
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json;charset=UTF-8\r\nConnection: close\r\n\r\n${body}`;
}

/** fastify's server options for the request timeout: node checks pending requests every `interval`. */
export function requestTimeoutOptions(requestTimeoutMs: number) {
  return {
    requestTimeout: requestTimeoutMs,
    // Errors node reports before fastify sees a request (a timeout, a malformed request line) get the envelope too.
    clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex) {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const answer =
        err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? rawEnvelope(
              408,
              `the request did not arrive in full within ${requestTimeoutMs / 1000} s (CC_HTTP_REQUEST_TIMEOUT_MS)`,
            )
          : err.code === 'HPE_HEADER_OVERFLOW'
            ? rawEnvelope(431, 'the request headers are too large')
            : rawEnvelope(400, 'the request is not valid HTTP');
      if (socket.writable) socket.write(answer);
      socket.destroy();
    },
    http: {
      // headersTimeout must not exceed requestTimeout; the checking interval bounds how late a cut-off comes.
      headersTimeout: Math.min(requestTimeoutMs, 60_000),
      connectionsCheckingInterval: Math.max(250, Math.min(5_000, Math.floor(requestTimeoutMs / 4))),
    },
  };
}
