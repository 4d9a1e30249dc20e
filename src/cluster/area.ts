// The cluster area (issue 20): what lets several instances run side by side. The RabbitMQ link that carries STOMP
// frames between them, and who owns which project (a lease keeper over the PostgreSQL lease store). Nothing here
// exists when CC_AMQP_URL is unset: the instance runs alone, as before, and owns every project.
import type { ClusterConfig } from '../config.js';
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import { createBus, type Bus } from './bus.js';
import { CapacityLedger, type CapacityStore } from './capacity-ledger.js';
import { LeaseKeeper } from './lease-keeper.js';
import { leaseOwnership, monotonicClock } from './lease-ownership.js';
import { DEFAULT_REBALANCE, type RebalanceTimings } from './lease-rebalance.js';
import { DEFAULT_LEASE_TIMINGS, type LeaseTimings } from './lease-rules.js';
import type { LeaseStore } from './lease-store.js';
import { loneOwnership, type InstanceAddress, type Ownership } from './ownership.js';

interface ClusterDeps {
  config: { cluster: ClusterConfig };
  clock: Clock;
  metrics: Metrics;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/** The bus, built but not connected (App.start connects it), or undefined for a lone instance. */
export function composeCluster(d: ClusterDeps): Bus | undefined {
  const { amqpUrl, instanceId, exchange } = d.config.cluster;
  if (!amqpUrl) return undefined;
  return createBus({ url: amqpUrl, instanceId, exchange, clock: d.clock, metrics: d.metrics, log: d.log });
}

/** How the lease keeper runs; tests shorten the timings and may inject its clock. */
export interface LeaseSettings {
  /** The shared store's leases (src/db/pg/leases.ts): only PostgreSQL has them. */
  store: LeaseStore;
  /** The shared capacity ledger's claims (src/db/pg/capacity.ts). */
  capacity: CapacityStore;
  timings?: LeaseTimings;
  /** How surplus projects are handed on (default DEFAULT_REBALANCE; CC_REBALANCE=off turns it off). */
  rebalance?: RebalanceTimings;
  tickMs?: number;
  /** Local time for the grants (default: monotonic). */
  clock?: Clock;
}

interface OwnershipDeps extends Omit<ClusterDeps, 'clock'> {
  leases?: LeaseSettings;
  /** host:port FreeSWITCH's socket application reaches this instance at (known once it listens). */
  socketAt(): string;
}

/**
 * In a cluster (CC_AMQP_URL set) on PostgreSQL, ownership by lease: the keeper (App.start starts it, App.close
 * releases what it holds). Otherwise the lone instance owns everything, as before; so do instances sharing only the
 * STOMP fan-out over SQLite (each has its own file, nothing to share a lease in; main.ts warns about it).
 */
export function composeOwnership(d: OwnershipDeps): {
  ownership: Ownership;
  keeper?: LeaseKeeper;
  ledger?: CapacityLedger;
} {
  const { instanceId, amqpUrl } = d.config.cluster;
  const me: InstanceAddress = {
    id: instanceId,
    get socketAt() {
      return d.socketAt();
    },
  };
  if (!amqpUrl || !d.leases) return { ownership: loneOwnership(me) };
  const timings = d.leases.timings ?? DEFAULT_LEASE_TIMINGS;
  const keeper = new LeaseKeeper({
    me: instanceId,
    store: d.leases.store,
    clock: d.leases.clock ?? monotonicClock,
    timings,
    tickMs: d.leases.tickMs ?? Math.floor(timings.renewAfterMs / 3),
    // Until App.start gives the keeper the instance's calls in progress (start(drained, load)).
    load: () => 0,
    socketAt: d.socketAt,
    // Until App.start gives the keeper what the instance knows of its calls (start(drained)): nothing to wait for.
    // Calls bridged to an agent keep running in FreeSWITCH after a hand-over, and the next owner's take-over recovery
    // keeps their numbers for their CDRs (calls/takeover.ts).
    drained: () => true,
    log: d.log,
    recoverTakes: true,
    rebalance: d.config.cluster.rebalance === false ? undefined : (d.leases.rebalance ?? DEFAULT_REBALANCE),
  });
  const { metrics } = d;
  metrics.gauge('cluster.leases.owned', () => keeper.owned().length);
  metrics.gauge('cluster.leases.readAgeMs', () => Math.round(keeper.readAgeMs() ?? -1));
  keeper.onChange((_p, owned) => metrics.inc(owned ? 'cluster.leases.taken' : 'cluster.leases.lost'));
  const ledger = new CapacityLedger({
    me: instanceId,
    store: d.leases.capacity,
    clock: d.leases.clock ?? monotonicClock,
    ttlMs: timings.ttlMs,
    marginMs: timings.stopMarginMs,
    tickMs: d.leases.tickMs ?? Math.floor(timings.renewAfterMs / 3),
    log: d.log,
  });
  return { ownership: leaseOwnership(keeper, me), keeper, ledger };
}
