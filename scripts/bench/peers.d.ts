// The few members of the peers the benchmarks compare against (devDependencies used only by scripts/bench).
declare module 'modesl/lib/esl/Parser.js' {
  import type { EventEmitter } from 'node:events';
  export default class Parser extends EventEmitter {
    constructor(socket: EventEmitter);
  }
}

declare module 'modesl' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer } from 'node:net';
  const esl: {
    Server: new (opts: { server: NetServer; myevents?: boolean }) => EventEmitter;
  };
  export default esl;
}

declare module 'stomp-broker-js' {
  import type { Server } from 'node:http';
  export default class StompServer {
    constructor(conf: { server: Server; path?: string; heartbeat?: [number, number] });
    send(topic: string, headers: Record<string, string>, body: string): void;
  }
}
