// One 'upgrade' listener for the whole HTTP server. Node hands every upgrade request to the listeners of the
// server's 'upgrade' event; with several libraries each listening, an unmatched request would hang or be
// destroyed twice. Here each path has one owner and anything else gets a real HTTP 404 before the socket closes.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** `pathname` is the request's path as a URL parser reads it (no query). */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, pathname: string) => void;
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

/** A plain path: letters, digits, `/ _ - ~` only, not starting `//`; a URL parser would read it as it is. */
const PLAIN_PATH = /^\/(?!\/)[\w/~-]*(?:\?|$)/;

/**
 * The request target's pathname. Plain paths (every client of ours sends one) are cut at the query; anything else
 * (dot segments, escapes, an absolute URL) goes through the URL parser as before. A URL object for every
 * connection was ~350 bytes that thousands of reconnecting clients made at once.
 */
export function pathnameOf(target: string): string {
  if (!PLAIN_PATH.test(target)) return new URL(target, 'http://localhost').pathname;
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
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
  // closures share for as long as the socket lives (issue 13: per-session memory).
  function route(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const pathname = pathnameOf(req.url ?? '/');
    for (const r of routes) if (matches(r.match, pathname)) return r.handler(req, socket, head, pathname);
    rejectUpgrade(socket, 404, 'Not Found');
  }
}
