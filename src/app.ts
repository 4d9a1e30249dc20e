// buildApp(config, deps): the whole system, built but not started (style.md §5). main.ts starts it; tests build
// their own per test with ':memory:' SQLite and a FakeClock.
import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';
import { systemClock, type Clock } from './core/clock.js';
import { EventHub } from './core/events.js';
import { Metrics } from './core/metrics.js';
import type { SwitchControl } from './core/ports.js';
import type { Store } from './db/database.js';
import { createRepos } from './db/repos/index.js';
import { GatewayUsage } from './dialer/gateway-usage.js';
import { Dialer } from './dialer/dialer.js';
import { numberStore } from './dialer/numbers.js';
import { TaskService } from './dialer/tasks.js';
import { CallListService } from './dialer/call-lists.js';
import { DncService } from './dialer/dnc.js';
import { screenFor } from './dialer/screening.js';
import { dncRoutes } from './api/routes/dnc.js';
import { reportRoutes } from './api/routes/reports.js';
import { callLogExportRoutes } from './api/routes/call-log-export.js';
import { consoleReportRoutes } from './api/routes/console-reports.js';
import { Wallboard } from './supervisor/wallboard.js';
import { taskRoutes } from './api/routes/tasks.js';
import { callListRoutes } from './api/routes/call-lists.js';
import { callLogRoutes } from './api/routes/call-logs.js';
import { agentCommands, type AppCommand } from './agents/commands.js';
import { ProjectService } from './agents/projects.js';
import { registrationChange } from './agents/registrations.js';
import { AgentRegistry } from './agents/registry.js';
import { FsCommand } from './calls/fs-commands.js';
import { NodeLinks } from './calls/nodes.js';
import { agentCallRouter, callCommands } from './calls/app-commands.js';
import { inboundRouter } from './calls/inbound-routing.js';
import { CallRunner, isChannelHeaderRead } from './calls/runner.js';
import { callRecovery, type ChannelRow } from './calls/recovery.js';
import { supervisorCommands } from './supervisor/commands.js';
import type { SupervisorRow } from './supervisor/context.js';
import { callServices } from './calls/services.js';
import { defaultFlowSettings, type FlowSettings } from './calls/flows/types.js';
import { OutboundServer } from './esl/index.js';
import type { ApiContext } from './api/context.js';
import { installEnvelopeHandlers } from './api/envelope.js';
import { strictParams } from './api/strict-params.js';
import { logSerializers } from './api/log-redaction.js';
import { directoryLookup } from './api/freeswitch/directory.js';
import { freeswitchRoutes } from './api/freeswitch/routes.js';
import { cdrRoutes } from './api/freeswitch/cdr-route.js';
import { voiceRoutes } from './api/routes/voices.js';
import { createQiniu } from './storage/qiniu.js';
import { RecordingUploader } from './storage/uploader.js';
import { healthRoutes } from './api/routes/health.js';
import { stompLogin } from './api/stomp-login.js';
import { LoginThrottle } from './core/login-throttle.js';
import { signedApi } from './api/routes/index.js';
import { projectRoutes } from './api/routes/projects.js';
import { pageRoutes } from './api/pages.js';
import { consoleRoutes } from './api/routes/console.js';
import { notFound } from './core/errors.js';
import { TaskStatus } from './core/codes.js';
import { attachStomp, createBroker, projectAccessRules, type Broker } from './stomp/index.js';

export interface AppDeps {
  store: Store;
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
}

export interface App {
  http: FastifyInstance;
  ctx: ApiContext;
  events: EventHub;
  broker: Broker;
  nodes: NodeLinks;
  /** FreeSWITCH's `socket` app connects here, one connection per call leg; main.ts (or a test) listens. */
  outbound: OutboundServer;
  runner: CallRunner;
  dialer: Dialer;
  wallboard: Wallboard;
  /** Connects to the FreeSWITCH nodes (outbound connections only: nothing listens here). */
  start(): void;
  /** Stops every component and waits for in-flight work; the caller closes the store afterwards. */
  close(): Promise<void>;
}

/** Log redaction: signatures, credentials and SIP/API secrets never reach the logs. */
export const REDACT = [
  'req.headers.sign',
  'req.headers.authorization',
  '*.password',
  '*.secret',
  '*.eslPassword',
  '*.passcode',
  '*.certificate',
  '*.managerCertificate',
];

/** The logger at config.logLevel: secrets redacted from objects (REDACT) and from request URLs. */
export const loggerOptions = (config: Config) => ({
  level: config.logLevel,
  redact: { paths: REDACT, censor: '[redacted]' },
  serializers: logSerializers,
});

export async function buildApp(config: Config, deps: AppDeps): Promise<App> {
  const clock = deps.clock ?? systemClock;
  const http = Fastify({
    https: deps.tls ? { cert: deps.tls.cert, key: deps.tls.key } : null,
    logger: deps.logger ?? loggerOptions(config),
    bodyLimit: 5 * 1024 * 1024,
    ajv: {
      customOptions: { coerceTypes: 'array', removeAdditional: true, useDefaults: true, allErrors: false },
    },
  });
  const metrics = new Metrics();
  const events = new EventHub((err) => http.log.error({ err }, 'event listener failed'));
  const repos = createRepos(deps.store.db);

  // STOMP: agents and managers log in with their extension and SIP password; business systems with an API
  // account and its secret (role 'service').
  const appCommands = new Map<string, AppCommand>();
  const logins = new LoginThrottle(clock);
  const isUsernameInProject = (username: string, projectCode: string) =>
    agents.get(username)?.projectCode === projectCode;
  const broker = createBroker({
    clock,
    logger: http.log,
    ...projectAccessRules({ isUsernameInProject }),
    authenticate: stompLogin({
      clock,
      repos,
      assigned: (username) => agents.get(username),
      logins,
      log: http.log,
    }),
    async onAppMessage(principal, destination, body) {
      const command = appCommands.get(destination);
      const notify = `/topic/notify/${principal.projectCode}/${principal.username}`;
      if (!command) {
        broker.publish(notify, {
          duration: '3',
          msgType: 'error',
          data: `unknown command ${destination}`,
          type: 'message',
        });
        return;
      }
      let parsed: Record<string, unknown>;
      try {
        parsed = body.trim() ? (JSON.parse(body) as Record<string, unknown>) : {};
      } catch {
        broker.publish(notify, {
          duration: '3',
          msgType: 'error',
          data: `${destination}: body must be JSON`,
          type: 'message',
        });
        return;
      }
      metrics.inc(`stomp.app${destination.slice(4).replace(/\//g, '.')}`);
      await command(principal, parsed);
    },
  });
  metrics.gauge('stomp.sessions', () => broker.sessions());
  metrics.gauge('logins.failed', () => logins.counters.failures);
  metrics.gauge('logins.refusedWhileLocked', () => logins.counters.refusedWhileLocked);

  const agents = new AgentRegistry({ clock, publisher: broker, extensions: repos.extensions });
  for (const [dest, fn] of Object.entries(agentCommands(agents, broker))) appCommands.set(dest, fn);

  const nodes = new NodeLinks({
    clock,
    metrics,
    log: http.log,
    backoff: deps.eslBackoff,
    handlers: {
      event(_nodeId, event) {
        dialer.onNodeEvent(event);
        runner.onNodeEvent(event);
        recovery.onNodeEvent(event);
        const change = registrationChange(event);
        if (change)
          agents.apply(change.username, { kind: change.registered ? 'registered' : 'unregistered' });
      },
      channels(nodeId, rows) {
        // The supervisor's legs first, so that the call recovery does not take their agents for customer calls.
        void supervisor
          .recover(nodeId, rows as unknown as SupervisorRow[])
          .catch((err: unknown) => http.log.warn({ err, nodeId }, 'supervisor legs could not be recovered'))
          .finally(() => recovery.channels(nodeId, rows as unknown as ChannelRow[]));
      },
      registrations(nodeId, usernames, changedMeanwhile) {
        // Called after every (re)connect: the node answers again, so what it could not take earlier is retried.
        void projects.retryDisconnects(nodeId);
        const registered = new Set(usernames);
        for (const a of agents.all())
          if (a.nodeId === nodeId && !changedMeanwhile.has(a.username))
            agents.apply(a.username, { kind: registered.has(a.username) ? 'registered' : 'unregistered' });
      },
    },
  });
  events.on('gatewaysChanged', (gwCode) => {
    // A changed gateway must be killed before the rescan reads it again (sofia keeps the old one otherwise).
    for (const node of repos.nodes.active()) {
      void nodes
        .api(node.id, FsCommand.killGateway(gwCode))
        .then(() => nodes.api(node.id, FsCommand.rescanGateways()));
    }
  });

  const projects = new ProjectService({
    db: deps.store.db,
    repos,
    clock,
    agents,
    publisher: broker,
    switchControl: deps.switchControl ?? nodes,
    extensionStart: config.extensionStart,
    onProjectFinished: (_code, usernames) => {
      for (const u of usernames) broker.disconnectUser(u, 'the project has finished');
    },
    onExtensionDisabled: (username) => broker.disconnectUser(username, 'the extension was disabled'),
    log: http.log,
  });
  projects.loadAgents();
  metrics.gauge('extensions.switchPending', () => projects.pendingSwitchWork().size);

  // Recordings go to Qiniu when it is configured; the local file is always kept.
  const recordings = config.qiniu
    ? new RecordingUploader({
        store: createQiniu(config.qiniu),
        uploads: repos.recordingUploads,
        onUploaded: (callUuid, ref, now) => repos.callLogs.setQiniuRef(callUuid, ref, now),
        onMissing: (callUuid, now) => repos.callLogs.clearRecording(callUuid, now),
        clock,
        recordingsDir: config.recordingsDir,
        log: http.log,
      })
    : undefined;

  const gatewayUsage = new GatewayUsage();
  const flowSettings: FlowSettings = {
    ...defaultFlowSettings,
    agentWaitMs: config.calls.agentWaitSeconds * 1000,
    queueTimeoutMs: config.calls.queueTimeoutSeconds * 1000,
    agentRingSeconds: config.calls.agentRingSeconds,
    customerRingSeconds: config.calls.customerRingSeconds,
    ...deps.flowSettings,
  };
  const runner = new CallRunner({
    clock,
    metrics,
    log: http.log,
    agents,
    publisher: broker,
    settings: flowSettings,
    services: {
      routeInbound: inboundRouter(deps.store.db),
      routeAgentCall: agentCallRouter({
        db: deps.store.db,
        repos,
        gatewayUsage,
        agents,
        publisher: broker,
        newCallId: randomUUID,
        acceptAgentCall: (c, callId) => dialer.acceptAgentCall(c, callId),
      }),
      ...callServices({
        db: deps.store.db,
        repos,
        callLogs: repos.callLogs,
        clock,
        recordingsDir: config.recordingsDir,
        enqueueRecording: recordings ? (id, path, at) => recordings.enqueue(id, path, at) : undefined,
        onOutcome: (o) => dialer.legEnded(o.leg.callId, o.resultDetail),
      }),
    },
  });
  metrics.gauge('calls.live', () => runner.live.size);
  const supervisor = supervisorCommands({
    agents,
    live: runner.live,
    nodes,
    publisher: broker,
    repos,
    log: http.log,
  });
  for (const [dest, fn] of Object.entries(supervisor.commands)) appCommands.set(dest, fn);
  const outbound = new OutboundServer({
    host: config.outboundSocket.host,
    port: config.outboundSocket.port,
    clock,
    keepChannelHeader: isChannelHeaderRead,
    onSession: runner.handle,
  });

  const numbers = numberStore(deps.store.db);
  const screen = (task: Parameters<typeof screenFor>[1]) =>
    screenFor(
      { dnc: repos.dnc, projectCodeOf: (id) => repos.projects.get(id)?.projectCode, now: () => clock.now() },
      task,
    );
  const dnc = new DncService({
    dnc: repos.dnc,
    projectExists: (code) => repos.callLogs.resolveCodes({ projectCode: code }).projectId !== null,
    clock,
  });
  const tasks: TaskService = new TaskService({
    db: deps.store.db,
    repos,
    tasks: repos.tasks,
    callLists: repos.callLists,
    numbers,
    clock,
    publisher: broker,
    runningCount: (taskId) => dialer.inFlight(taskId),
    screenFor: screen,
    dialState: (taskId) => dialer.dialState(taskId),
  });
  const callLists = new CallListService({ db: deps.store.db, callLists: repos.callLists, clock });
  const dialer: Dialer = new Dialer({
    db: deps.store.db,
    repos,
    clock,
    metrics,
    agents,
    nodes,
    gatewayUsage,
    publisher: broker,
    numbers: numbers.asNumberSource(),
    socket: () =>
      config.outboundSocket.reachAt ?? {
        host: config.outboundSocket.host,
        port: outbound.address()?.port ?? config.outboundSocket.port,
      },
    log: http.log,
    statusOf: (task) => tasks.statusOf(task),
    expireDue: (now) => void tasks.expireDue(now),
    waitingCustomers: (taskCode) =>
      [...runner.live.values()].filter((c) => c.taskCode === taskCode && c.agent === undefined).length,
    tickMs: deps.dialerTickMs,
    agentRingSeconds: flowSettings.agentRingSeconds,
    ringSeconds: flowSettings.customerRingSeconds,
    agentFirstMaxTries: config.agentFirstMaxTries,
    screenFor: screen,
    heldAgents: (projectCode) =>
      new Set([...runner.held.entries()].filter(([, l]) => l.projectCode === projectCode).map(([u]) => u)),
    windowChanged: (task, open) => tasks.windowChanged(task, open),
  });
  const wallboard = new Wallboard({
    db: deps.store.db,
    clock,
    publisher: broker,
    projects: () => repos.projects.active(),
    agentsOf: (projectCode) => agents.ofProject(projectCode),
    waitingOf: (projectCode) =>
      [...runner.live.values()].filter((c) => c.projectCode === projectCode && c.agent === undefined).length,
  });
  const calls = callCommands({
    db: deps.store.db,
    repos,
    agents,
    publisher: broker,
    gatewayUsage,
    live: runner.live,
    hangup: (callId) => runner.hangupByAgent(callId),
    originateAgentFirst: (call, callId) => dialer.originateAgentFirst(call, callId),
    newCallId: randomUUID,
  });
  for (const [dest, fn] of Object.entries(calls)) appCommands.set(dest, fn);

  const recovery = callRecovery({
    agents,
    numbers,
    nodes,
    log: http.log,
    clock,
    activeNodes: () => repos.nodes.active().map((n) => n.id),
    knowsLeg: (uuid) => runner.knowsLeg(uuid) || supervisor.knows(uuid),
    isHeldLeg: (uuid) => [...runner.held.values()].some((h) => h.uuid === uuid),
    dialerDials: (id) => dialer.dials(id),
  });

  const ctx: ApiContext = {
    config,
    clock,
    repos,
    logins,
    gatewayUsage,
    metrics,
    events: { gatewaysChanged: (gwCode) => events.emit('gatewaysChanged', gwCode) },
    services: { projects, agents, tasks, callLists },
  };

  await http.register(formbody);
  await http.register(swagger, {
    openapi: {
      info: {
        title: 'callcenter API',
        version: '1',
        description:
          'Signed with headers account, timestamp (ms) and sign = MD5(account + timestamp + secret). Every response is {data?, reqResult:{code,msg}}; code 1 is success.',
      },
    },
  });
  await http.register(swaggerUi, { routePrefix: '/docs' });
  installEnvelopeHandlers(http);
  // Form clients send empty fields for "not given"; treat them as absent so optional fields stay optional.
  http.addHook('preValidation', async (request) => {
    for (const part of [request.body, request.query])
      if (part && typeof part === 'object')
        for (const [k, v] of Object.entries(part)) if (v === '') delete (part as Record<string, unknown>)[k];
  });
  http.addHook('preValidation', strictParams);
  http.addHook('onSend', async (_req, reply, payload) => {
    // The spec's responses are application/json;charset=UTF-8.
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('application/json'))
      reply.header('content-type', 'application/json;charset=UTF-8');
    return payload;
  });

  await http.register(healthRoutes, { ctx, sqlite: deps.store.sqlite, startedAt: clock.now() });
  await http.register(freeswitchRoutes, { ctx, directory: directoryLookup(repos) });
  await http.register(cdrRoutes, {
    ctx,
    recordings,
    flowOwns: (callId) => runner.owns(callId),
    settleNumber: (callUuid, detail) => numbers.settleByCall(callUuid, detail, clock.now()),
  });
  await http.register(signedApi, {
    ctx,
    extra: [
      projectRoutes,
      voiceRoutes,
      taskRoutes(tasks),
      callListRoutes(callLists),
      callLogRoutes(repos.tasks),
      dncRoutes(dnc),
      reportRoutes(deps.store.db),
      callLogExportRoutes,
    ],
  });
  attachStomp(http, broker, { clock, allowedOrigins: config.stompOrigins });
  // The agent workbench and the manager page, with the few unsigned endpoints they need (src/pages/README.md).
  if (deps.pages !== false)
    await http.register(consoleRoutes, {
      ctx,
      taskStatuses: (projectCode) => {
        const project = repos.projects.activeByCode(projectCode);
        if (!project) return [];
        return repos.tasks
          .inStates(Object.values(TaskStatus))
          .filter((t) => t.projectId === project.id)
          .map((t) => tasks.statusOf(t));
      },
      previewNumbers: ({ projectCode, username, callTaskCode, count }) => {
        const task = repos.tasks.byCode(callTaskCode);
        if (!task || repos.projects.get(task.projectId)?.projectCode !== projectCode)
          throw notFound(`task ${callTaskCode} is not a task of project ${projectCode}`);
        return tasks.getCallList(callTaskCode, count, username);
      },
    });
  if (deps.pages !== false) {
    await http.register(consoleReportRoutes, { ctx, db: deps.store.db, wallboard });
    await http.register(pageRoutes);
  }

  return {
    http,
    ctx,
    events,
    broker,
    nodes,
    outbound,
    runner,
    dialer,
    wallboard,
    start() {
      nodes.start(repos.nodes.active());
      recordings?.start();
      dialer.start();
      wallboard.start();
    },
    async close() {
      dialer.stop();
      wallboard.stop();
      await recordings?.stop();
      await outbound.close();
      await runner.close();
      await nodes.stop();
      broker.close();
      await http.close();
    },
  };
}
