// What an operator reads when a port cannot be had (issue 17.14): one line naming the port, the setting that moves
// it and the likely cause, instead of a stack trace.

export interface ListenTarget {
  /** What listens there, e.g. "HTTP (API, pages, STOMP)". */
  what: string;
  host: string;
  port: number;
  /** The settings that move it, e.g. "CC_HTTP_PORT / CC_HTTP_HOST". */
  settings: string;
}

export function listenFailureLine(target: ListenTarget, err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const where = `${target.host}:${target.port}`;
  const head = `callcenter: cannot listen on ${where} for the ${target.what}`;
  switch (code) {
    case 'EADDRINUSE':
      return `${head}: the port is in use (another callcenter may already be running). Stop it, or set ${target.settings} to listen elsewhere.`;
    case 'EACCES':
      return `${head}: permission denied (ports below 1024 need privileges). Set ${target.settings} to another port.`;
    case 'EADDRNOTAVAIL':
      return `${head}: ${target.host} is not an address of this host. Set ${target.settings} to one that is.`;
    default: {
      const message = err instanceof Error ? err.message : String(err);
      return `${head}: ${message}. Check ${target.settings}.`;
    }
  }
}
