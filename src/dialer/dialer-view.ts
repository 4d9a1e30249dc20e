// The port for what one dialer tick reads before it decides (declared here, by the dialer; the SQLite store is
// db/repos/dialer-view.ts).
import type { FsNode } from '../db/repos/nodes.js';
import type { Gateway } from '../db/repos/gateways.js';
import type { Project } from '../db/repos/projects.js';
import type { Task } from './attempts.js';

export interface DialerView {
  /** Running predictive tasks. */
  running: Task[];
  projects: Map<number, Project>;
  nodes: Map<number, FsNode>;
  /** The task's gateways (by id) with the task's own concurrency on each. */
  gatewaysOf: Map<number, { gateway: Gateway; concurrency: number }[]>;
  /** Tasks with a pending number due now. */
  due: Set<number>;
}
