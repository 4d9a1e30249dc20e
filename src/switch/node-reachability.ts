// What the operator reads about a FreeSWITCH node's event socket (issue #17): the link retries every few seconds
// while the node is away, and a warning per retry ("event socket lost" every 30 s, even before it had ever
// connected) buried everything else. One line when a node cannot be reached (first attempt, or a link that was up
// goes down), one when it is back; the failed retries in between are debug lines.

export interface ReachabilityLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

interface NodeAddress {
  name: string;
  eslHost: string;
  eslPort: number;
}

type State = 'never-connected' | 'up' | 'down';

/** Reports one node's link; feed it the link's events in order. */
export class NodeReachability {
  private state: State = 'never-connected';
  private refusedPassword = false;

  constructor(
    private readonly node: NodeAddress,
    private readonly log: ReachabilityLog,
  ) {}

  private get where() {
    return { node: this.node.name, address: `${this.node.eslHost}:${this.node.eslPort}` };
  }

  connected(): void {
    const wasDown = this.state === 'down';
    this.state = 'up';
    this.refusedPassword = false;
    this.log.info(
      this.where,
      wasDown
        ? `FreeSWITCH node ${this.node.name} is reachable again`
        : `FreeSWITCH event socket connected (node ${this.node.name})`,
    );
  }

  disconnected(reason: string, retryInMs: number): void {
    const before = this.state;
    this.state = 'down';
    if (before === 'down') {
      this.log.debug({ ...this.where, reason, retryInMs }, 'FreeSWITCH node still unreachable');
      return;
    }
    this.log.warn(
      { ...this.where, reason, retryInMs },
      before === 'up'
        ? `FreeSWITCH event socket lost (node ${this.node.name}); reconnecting in the background`
        : `FreeSWITCH node ${this.node.name} cannot be reached at ${this.node.eslHost}:${this.node.eslPort}; retrying in the background (the HTTP API works meanwhile)`,
    );
  }

  authFailed(text: string, retryInMs: number): void {
    this.state = 'down';
    const first = !this.refusedPassword;
    this.refusedPassword = true;
    (first ? this.log.warn : this.log.debug).call(
      this.log,
      { ...this.where, text, retryInMs },
      'FreeSWITCH refused the event-socket password (CC_FS_PASSWORD / fs_nodes.esl_password)',
    );
  }
}
