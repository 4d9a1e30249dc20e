// buildApp(config, deps): the whole system, built but not started (style.md §5). main.ts starts it; tests build
// their own per test with ':memory:' SQLite and a FakeClock. Each area composes its own parts (`compose*` in its
// folder); this file only puts them together, each built after what it needs (README "Architecture").
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { composeAgents } from './agents/area.js';
import { AgentRegistry } from './agents/registry.js';
import { apiContext, type ApiContext } from './api/context.js';
import { createHttp, registerRoutes } from './api/http.js';
import { composeCallRuntime, composeCallSocket, composeRecovery, flowSettingsOf } from './calls/area.js';
import type { AudioStreams } from './calls/amd/audio-streams.js';
import type { FlowSettings } from './calls/flows/types.js';
import type { CallRunner } from './calls/runner.js';
import type { SocketGuard } from './calls/socket-guard.js';
import { composeCluster, composeOwnership, type LeaseSettings } from './cluster/area.js';
import type { LeaseKeeper } from './cluster/lease-keeper.js';
import type { CapacityLedger } from './cluster/capacity-ledger.js';
import type { Bus } from './cluster/bus.js';
import { composeOwnerRouting } from './cluster/forward-area.js';
import type { Ownership } from './cluster/ownership.js';
import type { Config } from './config.js';
import { systemClock, type Clock } from './core/clock.js';
import { EventHub } from './core/events.js';
import { Metrics } from './core/metrics.js';
import { Outbox } from './core/outbox.js';
import type { SwitchControl } from './core/ports.js';
import type { Store } from './db/database.js';
import { createRepos, type Repos } from './db/repos/index.js';
import { composeDialing } from './dialer/area.js';
import type { Dialer } from './dialer/dialer.js';
import type { OutboundServer } from './esl/index.js';
import { composeStomp } from './stomp/area.js';
import type { Broker } from './stomp/index.js';
import { composeSupervisor } from './supervisor/area.js';
import type { Wallboard } from './supervisor/wallboard.js';
import { composeSwitch } from './switch/area.js';
import type { NodeLinks } from './switch/nodes.js';
import type { NodeDirectory } from './switch/node-directory.js';

export { loggerOptions } from './api/http.js';

export interface AppDeps {
  /** The store's repositories (either store: src/db/open-repos.ts); else they are built on `store` (SQLite). */
  repos?: Repos;
  store?: Store;
  clock?: Clock;
  /** Fastify logger options; defaults to pino at config.logLevel with secrets redacted. */
  logger?: FastifyServerOptions['logger'];
  /** Replaces the FreeSWITCH side of extension control (tests); by default the node links do it. */
  switchControl?: SwitchControl;
  /** ESL reconnect backoff (tests shorten it). */
  eslBackoff?: { initialMs: number; maxMs: number };
  /** Serve /workbench, /manager and their console endpoints (default true; tests of them register their own). */
  pages?: boolean;
  /** How often the dialer paces its tasks (default 500 ms). */
  dialerTickMs?: number;
  /** Call-flow tunables (tests shorten waits). */
  flowSettings?: Partial<FlowSettings>;
  /** Serve HTTPS (and so WSS) with this certificate and key (PEM): main.ts reads CC_TLS_CERT / CC_TLS_KEY. */
  tls?: { cert: string; key: string };
  /** The shared store's leases (PostgreSQL): with CC_AMQP_URL, projects are owned by lease (issue 20). */
  leases?: LeaseSettings;
  /** Who owns which project (issue 20); default: the leases' answer, or this instance owns them all (alone). */
  ownership?: Ownership;
  /** How long an /app command forwarded to a project's owner waits for its answer (default 5 s). */
  forwardTimeoutMs?: number;
}

export interface App {
  http: FastifyInstance;
  ctx: ApiContext;
  events: EventHub;
  broker: Broker;
  nodes: NodeLinks;
  /** Answering-machine detection's UDP listener (issue 23); main.ts (or a test) binds it. */
  amdStreams: AudioStreams;
  /** FreeSWITCH's `socket` app connects here, one connection per call leg; main.ts (or a test) listens. */
  outbound: OutboundServer;
  /** Who may use the outbound socket, and what our originates to it carry (issue 17.1). */
  guard: SocketGuard;
  runner: CallRunner;
  dialer: Dialer;
  wallboard: Wallboard;
  /**
   * Connects to the FreeSWITCH nodes (outbound connections only: nothing listens here), as the store lists them at
   * this moment (resolves once the links are started).
   */
  start(): Promise<void>;
  /** Stops every component and waits for in-flight work; the caller closes the store afterwards. */
  close(): Promise<void>;
}

export async function buildApp(config: Config, deps: AppDeps): Promise<App> {
  const clock = deps.clock ?? systemClock;
  const metrics = new Metrics();
  const http = createHttp(config, { logger: deps.logger, tls: deps.tls }, metrics);
  const log = http.log;
  const events = new EventHub((err) => log.error({ err }, 'event listener failed'));
  const repos = deps.repos ?? (deps.store && createRepos(deps.store.db));
  if (!repos) throw new Error('buildApp needs the repositories or a store');
  const base = { config, clock, metrics, log, repos };
  // The registry publishes through the broker, which checks logins against the registry: an outbox between them.
  const publisher = new Outbox();
  const agents = new AgentRegistry({
    clock,
    publisher,
    extensions: repos.extensions,
    onStoreError: (err) => log.error({ err }, 'an agent status was not stored'),
  });
  const bus = composeCluster(base); // only with CC_AMQP_URL: other instances' STOMP subscribers
  const { nodes, reports, directory } = composeSwitch({ ...base, events, backoff: deps.eslBackoff });
  await directory.refresh();
  const socket = composeCallSocket({ ...base, directory });
  const reach = () => `${socket.reachAt().host}:${socket.reachAt().port}`;
  const lease = composeOwnership({ ...base, leases: deps.leases, socketAt: reach });
  const { keeper, ledger } = lease;
  const ownership = deps.ownership ?? lease.ownership;
  // Only in a cluster: /app commands and dialplan legs of a project another instance holds go to it.
  const owners = composeOwnerRouting({ ...base, bus, ownership, forwardTimeoutMs: deps.forwardTimeoutMs });
  const assigned = (username: string) => agents.get(username);
  const stomp = composeStomp({ ...base, relay: bus, remote: owners.remote, assigned });
  const { broker } = stomp;
  publisher.attach(broker);
  const disconnectUser = (username: string, reason: string) => void broker.disconnectUser(username, reason);
  const agentDeps = { agents, publisher, reports, switchControl: deps.switchControl ?? nodes };
  const people = await composeAgents({ ...base, ...owners, ...agentDeps, disconnectUser });
  const flowSettings = flowSettingsOf(config, deps.flowSettings);
  const dialing = composeDialing({
    ...base,
    agents,
    publisher,
    nodes,
    socket,
    flowSettings,
    tickMs: deps.dialerTickMs,
    ownership,
    share: ledger && ((resource, limit, inUse) => ledger.allowance(resource, limit, inUse)),
  });
  const calls = composeCallRuntime({
    ...base,
    socket,
    agents,
    publisher,
    flowSettings,
    dialing: dialing.port,
    places: owners.places,
  });
  const { runner, recordings, amdStreams } = calls;
  reports.onEvent((_nodeId, event) => {
    dialing.dialer.onNodeEvent(event);
    runner.onNodeEvent(event);
  });
  const supervisor = composeSupervisor({ ...base, agents, publisher, nodes, calls: socket.calls, ownership });
  const { wallboard } = supervisor;
  const recovering = { agents, nodes, directory, reports, runner, socket, supervisor, dialing };
  composeRecovery({ ...base, ...recovering, ownership, keeper, projects: people.projects });
  stomp.addCommands(people.commands);
  stomp.addCommands(supervisor.commands);
  stomp.addCommands(dialing.commands((callId) => runner.hangupByAgent(callId)));

  const services = { projects: people.projects, agents, tasks: dialing.tasks, callLists: dialing.callLists };
  const { logins } = stomp;
  const gatewayUsage = dialing.gatewayUsage;
  const ctx = apiContext({ ...base, ...owners, events, logins, gatewayUsage, services, ownership, keeper });
  await registerRoutes(http, {
    ctx,
    dialing,
    broker,
    wallboard,
    recordings,
    flowOwns: (callId) => runner.owns(callId),
    pages: deps.pages !== false,
  });

  const { outbound, guard } = socket;
  const parts = { http, broker, nodes, outbound, runner, dialer: dialing.dialer, wallboard, amdStreams };
  return {
    ...parts,
    ctx,
    events,
    guard,
    ...lifecycle({ ...parts, directory, recordings, bus, keeper, ledger, calls: socket.calls }),
  };
}

/** Starting connects to the nodes and starts the timers; stopping waits for in-flight work, in dependency order. */
function lifecycle(
  p: Pick<
    App,
    'http' | 'broker' | 'nodes' | 'outbound' | 'runner' | 'dialer' | 'wallboard' | 'amdStreams'
  > & {
    directory: NodeDirectory;
    recordings?: { start(): void; stop(): Promise<void> };
    bus?: Bus;
    keeper?: LeaseKeeper;
    ledger?: CapacityLedger;
    calls: { waitingInProject(projectCode: string): number; live: ReadonlyMap<string, unknown> };
  },
): Pick<App, 'start' | 'close'> {
  // A project moved away (cli cluster move) or this instance stopping (a rolling restart) is handed over as soon as
  // no customer of it is rung here or waits for an agent (their calls come to this instance's socket), at the latest
  // when its lease would lapse.
  const drained = (code: string) => p.calls.waitingInProject(code) === 0 && !p.dialer.ringingInProject(code);
  return {
    async start() {
      p.bus?.start();
      await p.directory.refresh();
      p.nodes.start(p.directory.active());
      p.directory.start();
      p.recordings?.start();
      p.keeper?.start(drained, () => p.calls.live.size);
      p.ledger?.start();
      p.dialer.start();
      p.wallboard.start();
    },
    async close() {
      p.dialer.stop();
      await p.keeper?.stop(drained);
      await p.ledger?.stop();
      p.directory.stop();
      p.wallboard.stop();
      await p.recordings?.stop();
      await p.outbound.close();
      await p.runner.close();
      await p.amdStreams.close();
      await p.nodes.stop();
      p.broker.close();
      await p.bus?.close();
      await p.http.close();
    },
  };
}
