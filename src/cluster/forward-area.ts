// Where a project's /app commands and dialplan legs run when several instances share the work (issue 20): at its
// owner. Built only with the bus (CC_AMQP_URL); a lone instance gets nothing here and runs everything itself.
import type { LegPlaces } from '../calls/legs/handoff.js';
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import type { RemoteCommands } from '../stomp/remote-commands.js';
import type { Bus } from './bus.js';
import { forwardedCommands, ownerPlace } from './forward.js';
import { forwardedReads } from './forward-reads.js';
import { forwardedApi } from './forward-api.js';
import type { RemoteApi } from '../api/remote-api.js';
import type { RemoteReads } from '../api/remote-reads.js';
import { storeChanges, type StoreChanges } from './store-changes.js';
import type { Ownership } from './ownership.js';

interface RoutingDeps {
  config: { socketSecret: string };
  clock: Clock;
  metrics: Metrics;
  log: { warn(obj: object, msg: string): void };
  bus: Bus | undefined;
  ownership: Ownership;
  /** How long a forwarded command waits for the owner's answer (default 5 s). */
  forwardTimeoutMs?: number;
}

export function composeOwnerRouting(d: RoutingDeps): {
  remote?: RemoteCommands;
  /** A page's first-paint reads for a project another instance holds, asked of it. */
  reads?: RemoteReads;
  /** Signed API requests on agents' live state for a project another instance holds, run there. */
  api?: RemoteApi;
  places?: LegPlaces;
  /** Changes to projects and extensions made here, told to the other instances (and theirs to this one). */
  changes?: StoreChanges;
} {
  const { bus, ownership } = d;
  if (!bus) return {};
  const remote = forwardedCommands({
    link: bus,
    ownership,
    secret: d.config.socketSecret,
    clock: d.clock,
    metrics: d.metrics,
    log: d.log,
    timeoutMs: d.forwardTimeoutMs,
  });
  const changes = storeChanges({
    link: bus,
    me: ownership.me,
    secret: d.config.socketSecret,
    metrics: d.metrics,
    log: d.log,
  });
  const ownerLink = {
    link: bus,
    me: ownership.me,
    secret: d.config.socketSecret,
    clock: d.clock,
    metrics: d.metrics,
    log: d.log,
    timeoutMs: d.forwardTimeoutMs,
  };
  const reads = forwardedReads(ownerLink);
  const api = forwardedApi(ownerLink);
  return {
    remote,
    reads,
    api,
    places: { placeOf: (projectCode) => ownerPlace(ownership, projectCode) },
    changes,
  };
}
