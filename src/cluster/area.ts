// The cluster area (issue 20): what lets several instances run side by side. For now, the RabbitMQ link that carries
// STOMP frames between them. Nothing here exists when CC_AMQP_URL is unset: the instance runs alone, as before.
import type { ClusterConfig } from '../config.js';
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import { createBus, type Bus } from './bus.js';

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
