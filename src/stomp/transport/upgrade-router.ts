// One 'upgrade' listener for the whole HTTP server. Node hands every upgrade request to the listeners of the
// server's 'upgrade' event; with several libraries each listening, an unmatched request would hang or be
// destroyed twice. Here each path has one owner and anything else gets a real HTTP 404 before the socket closes.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => void;
export type PathMatcher = string | RegExp | ((pathname: string) => boolean);

export interface UpgradeRouter {
  /** Routes upgrades whose pathname matches (exact string, RegExp, or predicate); first added wins. */
  add(match: PathMatcher, handler: UpgradeHandler): void;
  /** Attach with `server.on('upgrade', router.handle)`. */
  readonly handle: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

// Shared by every upgraded socket (`this` is the socket): a closure per socket lived as long as its session.
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/**
 * A handler that has taken the socket over with an 'error' listener of its own (ws does, once the handshake is done)
 * lets go of the router's: two listeners make the socket's list of them an array, kept as long as the connection.
 */
export function releaseUpgradedSocket(socket: Duplex): void {
  socket.removeListener('error', destroyOnError);
}

function matches(match: PathMatcher, pathname: string): boolean {
  if (typeof match === 'string') return match === pathname;
  if (match instanceof RegExp) return match.test(pathname);
  return match(pathname);
}

export function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length}\r\n\r\n${reason}`,
    );
  socket.destroy();
}

export function createUpgradeRouter(): UpgradeRouter {
  const routes: Array<{ match: PathMatcher; handler: UpgradeHandler }> = [];
  return {
    add(match, handler) {
      routes.push({ match, handler });
    },
    handle(req, socket, head) {
      // A client that resets mid-handshake must not crash the process with an unhandled 'error'.
      socket.on('error', destroyOnError);
      route(req, socket, head);
    },
  };

  // Apart from `handle`: there the socket's error listener is a closure, and V8 would keep everything the function's
  // closures share (this URL among it) for as long as the socket lives (issue 13: per-session memory).
  function route(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    for (const r of routes) if (matches(r.match, url.pathname)) return r.handler(req, socket, head, url);
    rejectUpgrade(socket, 404, 'Not Found');
  }
}
