// What route plugins receive: repositories, the clock, live state readers and a way to tell other components.
// Routes send commands; they do not re-implement call or agent rules (style.md §6).
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import type { LoginThrottle } from '../core/login-throttle.js';
import type { Metrics } from '../core/metrics.js';
import type { Repos } from '../db/repos/index.js';
import type { GatewayUsage } from '../dialer/gateway-usage.js';
import type { AgentRegistry } from '../agents/registry.js';
import type { ProjectService } from '../agents/projects.js';
import type { TaskService } from '../dialer/tasks.js';
import type { CallListService } from '../dialer/call-lists.js';
import type { Ownership } from '../cluster/ownership.js';
import type { LeaseKeeper } from '../cluster/lease-keeper.js';
import type { RemoteReads } from './remote-reads.js';
import type { RemoteApi } from './remote-api.js';

export interface ApiContext {
  config: Config;
  clock: Clock;
  repos: Repos;
  gatewayUsage: GatewayUsage;
  metrics: Metrics;
  /** Failed console (Basic) and STOMP logins, per login and per address. */
  logins: LoginThrottle;
  events: { gatewaysChanged(gwCode: string): void };
  services: {
    projects: ProjectService;
    agents: AgentRegistry;
    tasks: TaskService;
    callLists: CallListService;
  };
  /** Who owns which project (issue 20); absent in tests that build a context by hand: a lone instance. */
  ownership?: Ownership;
  /** A page's first-paint reads asked of the project's owner (issue 20); only in a cluster (CC_AMQP_URL). */
  reads?: RemoteReads;
  /** Signed API requests on agents' live state run at the project's owner (issue 20); only in a cluster. */
  api?: RemoteApi;
  /** The lease keeper in a cluster on PostgreSQL, for /health. */
  keeper?: Pick<LeaseKeeper, 'held' | 'readAgeMs'>;
}

/** The context every route is given; `events` carries what the API tells the other areas. */
export function apiContext(
  d: Omit<ApiContext, 'events'> & { events: { emit(name: 'gatewaysChanged', gwCode: string): void } },
): ApiContext {
  const {
    events,
    config,
    clock,
    repos,
    logins,
    gatewayUsage,
    metrics,
    services,
    ownership,
    keeper,
    reads,
    api,
  } = d;
  return {
    config,
    clock,
    repos,
    logins,
    gatewayUsage,
    metrics,
    events: { gatewaysChanged: (gwCode) => events.emit('gatewaysChanged', gwCode) },
    services,
    ownership,
    reads,
    api,
    keeper,
  };
}
