// The FreeSWITCH nodes as last read from the store, for the paths that must not wait on it: the socket admitting a
// leg (its peer address and token), recovery's node list, starting the node links. Nodes change rarely (the CLI and
// the seed); the directory reads them at start-up and again every REFRESH_MS, so a change reaches a running server
// within that time.
import type { Clock, TimerHandle } from '../core/clock.js';
import type { FsNode } from '../db/repos/nodes.js';

const REFRESH_MS = 10_000;

export class NodeDirectory {
  private nodes: FsNode[] = [];
  private timer: TimerHandle | undefined;

  constructor(
    private readonly d: {
      list(): Promise<FsNode[]>;
      clock: Clock;
      onError(err: unknown): void;
    },
  ) {}

  async refresh(): Promise<void> {
    this.nodes = await this.d.list();
  }

  /** Refreshes every REFRESH_MS until stop. */
  start(): void {
    this.timer?.cancel();
    this.timer = this.d.clock.setTimer(REFRESH_MS, () => {
      this.refresh()
        .catch(this.d.onError)
        .finally(() => {
          if (this.timer) this.start();
        });
    });
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  active(): FsNode[] {
    return this.nodes.filter((n) => n.status === 1);
  }

  get(id: number): FsNode | undefined {
    return this.nodes.find((n) => n.id === id);
  }
}
