// The agents area: every assigned extension's live state (the registry, built first: the STOMP broker checks
// logins against it), projects and their extensions, the agents' own /app commands, and what FreeSWITCH says about
// registrations.
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import type { Publisher, SwitchControl } from '../core/ports.js';
import type { Repos } from '../db/repos/index.js';
import type { NodeReports } from '../switch/area.js';
import { agentCommands, type AppCommand } from './commands.js';
import { ProjectService } from './projects.js';
import { registrationChange } from './registrations.js';
import type { AgentRegistry } from './registry.js';

interface AgentsAreaDeps {
  repos: Repos;
  clock: Clock;
  metrics: Metrics;
  log: { warn(obj: object, msg: string): void };
  agents: AgentRegistry;
  publisher: Publisher;
  switchControl: SwitchControl;
  reports: NodeReports;
  config: { extensionStart: number };
  /** Ends a user's STOMP sessions (a finished project, a disabled extension). */
  disconnectUser(username: string, reason: string): void;
  /** Several instances: tells the others a project changed in the store, and runs what they announce here. */
  changes?: {
    announce(projectCode: string): void;
    onChanged(reload: (projectCode: string) => Promise<void>): void;
  };
}

export async function composeAgents(d: AgentsAreaDeps): Promise<{
  projects: ProjectService;
  commands: Record<string, AppCommand>;
}> {
  const { agents } = d;
  const projects = new ProjectService({
    repos: d.repos,
    clock: d.clock,
    agents,
    publisher: d.publisher,
    switchControl: d.switchControl,
    extensionStart: d.config.extensionStart,
    onProjectFinished: (_code, usernames) => {
      for (const u of usernames) d.disconnectUser(u, 'the project has finished');
    },
    onExtensionDisabled: (username) => d.disconnectUser(username, 'the extension was disabled'),
    onStoreChanged: d.changes && ((code) => d.changes?.announce(code)),
    log: d.log,
    hearsRegistrations: (nodeId) => d.reports.isConnected(nodeId),
  });
  await projects.loadAgents();
  d.changes?.onChanged((code) => projects.reloadProject(code));
  d.metrics.gauge('extensions.switchPending', () => projects.pendingSwitchWork().size);
  d.reports.onEvent((_nodeId, event) => {
    const change = registrationChange(event);
    if (change) agents.apply(change.username, { kind: change.registered ? 'registered' : 'unregistered' });
  });
  d.reports.onRegistrations((nodeId, usernames, changedMeanwhile) => {
    // Called after every (re)connect: the node answers again, so what it could not take earlier is retried.
    void projects.retryDisconnects(nodeId);
    const registered = new Set(usernames);
    for (const a of agents.all())
      if (a.nodeId === nodeId && !changedMeanwhile.has(a.username))
        agents.apply(a.username, { kind: registered.has(a.username) ? 'registered' : 'unregistered' });
  });
  return { projects, commands: agentCommands(agents, d.publisher) };
}
