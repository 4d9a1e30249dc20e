// The port through which a page's first-paint reads (console/status, /extensions, /tasks, /wallboard) reach the
// instance that owns their project (issue 20, item 5). Only the owner holds its agents' live state: another
// instance's registry keeps the work status it loaded and the registrations it saw, so its answer can be stale.
// The API declares the port; src/cluster/forward-reads.ts implements it over the RabbitMQ bus, and app.ts plugs one
// in only with CC_AMQP_URL: without it every read is answered here, as before.

/** The reads a page makes right after it (re)connects. */
export type ConsoleRead = 'status' | 'extensions' | 'tasks' | 'wallboard';

export const CONSOLE_READS: readonly ConsoleRead[] = ['status', 'extensions', 'tasks', 'wallboard'];

/** Who asks: the extension the receiving instance authenticated (HTTP Basic), never one a message names alone. */
export interface ReadAsker {
  username: string;
  projectCode: string;
  /** ExtensionType: 2 agent, 3 manager. */
  type: number;
}

export interface ForwardedRead {
  asker: ReadAsker;
  read: ConsoleRead;
  /** The project read: the owner refuses it when it no longer holds it. */
  projectCode: string;
}

/** `data`: the owner's answer, as its own route would give it; `refused`: it did not answer it (why). */
export type ReadAnswer = { kind: 'data'; data: unknown } | { kind: 'refused'; reason: string };

export interface RemoteReads {
  /** Asks `instance`; resolves with its answer, or a refusal once the wait is over or the link is down. */
  read(instance: string, request: ForwardedRead): Promise<ReadAnswer>;
  /** Takes the reads other instances forward here. */
  serve(run: (request: ForwardedRead, from: string) => Promise<ReadAnswer>): void;
}
