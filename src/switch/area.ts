// The FreeSWITCH area: one inbound event-socket link per node, whose reports (events, the registrations and live
// channels listed after each (re)connect) reach whichever areas subscribe, in the order they subscribed; and a
// changed gateway is reloaded on every node.
import type { Clock } from '../core/clock.js';
import type { EventHub } from '../core/events.js';
import type { Metrics } from '../core/metrics.js';
import type { Repos } from '../db/repos/index.js';
import { NodeDirectory } from './node-directory.js';
import type { EslEvent } from '../esl/index.js';
import { FsCommand } from './fs-commands.js';
import { NodeLinks, type NodeLinkEvents } from './nodes.js';

type Registrations = NodeLinkEvents['registrations'];
type Channels = (nodeId: number, rows: Record<string, string>[]) => void;

/** What other areas hear from the nodes. */
export interface NodeReports {
  onEvent(fn: (nodeId: number, event: EslEvent) => void): void;
  onRegistrations(fn: Registrations): void;
  onChannels(fn: Channels): void;
  /** Whether the node's link is up: its registrations were listed when it came up and every change since came. */
  isConnected(nodeId: number): boolean;
}

interface SwitchAreaDeps {
  clock: Clock;
  metrics: Metrics;
  log: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    debug(obj: object, msg: string): void;
  };
  repos: Repos;
  events: EventHub;
  backoff?: { initialMs: number; maxMs: number };
}

export function composeSwitch(d: SwitchAreaDeps): {
  nodes: NodeLinks;
  reports: NodeReports;
  directory: NodeDirectory;
} {
  const directory = new NodeDirectory({
    list: () => d.repos.nodes.list(),
    clock: d.clock,
    onError: (err) => d.log.warn({ err }, 'the node list could not be read'),
  });
  const events: ((nodeId: number, event: EslEvent) => void)[] = [];
  const registrations: Registrations[] = [];
  const channels: Channels[] = [];
  const nodes = new NodeLinks({
    clock: d.clock,
    metrics: d.metrics,
    log: d.log,
    backoff: d.backoff,
    handlers: {
      event: (nodeId, event) => events.forEach((fn) => fn(nodeId, event)),
      registrations: (nodeId, usernames, changed) =>
        registrations.forEach((fn) => fn(nodeId, usernames, changed)),
      channels: (nodeId, rows) => channels.forEach((fn) => fn(nodeId, rows)),
    },
  });
  d.events.on('gatewaysChanged', (gwCode) => {
    // A changed gateway must be killed before the rescan reads it again (sofia keeps the old one otherwise).
    for (const node of directory.active())
      void nodes
        .api(node.id, FsCommand.killGateway(gwCode))
        .then(() => nodes.api(node.id, FsCommand.rescanGateways()));
  });
  return {
    nodes,
    directory,
    reports: {
      onEvent: (fn) => void events.push(fn),
      onRegistrations: (fn) => void registrations.push(fn),
      onChannels: (fn) => void channels.push(fn),
      isConnected: (nodeId) => nodes.isConnected(nodeId),
    },
  };
}
