// The supervisor area: managers' listening, whispering, barging, conferences and calls to agents (their /app
// commands and the legs they own, recovered after a restart), and the live wallboard of each project.
import type { AgentRegistry } from '../agents/registry.js';
import type { Clock } from '../core/clock.js';
import type { Publisher } from '../core/ports.js';
import type { Repos } from '../db/repos/index.js';
import type { LiveCalls } from '../calls/live-calls.js';
import type { NodeLinks } from '../switch/nodes.js';
import type { Ownership } from '../cluster/ownership.js';
import { supervisorCommands } from './commands.js';
import { Wallboard } from './wallboard.js';

interface SupervisorAreaDeps {
  repos: Repos;
  clock: Clock;
  log: { warn(obj: object, msg: string): void };
  agents: AgentRegistry;
  publisher: Publisher;
  nodes: NodeLinks;
  calls: LiveCalls;
  /** Who holds which project (issue 20): only a project's owner has its agents' live state to sample. */
  ownership: Pick<Ownership, 'mayAct'>;
}

export function composeSupervisor(d: SupervisorAreaDeps) {
  const { agents, repos, calls } = d;
  const supervisor = supervisorCommands({
    agents,
    live: calls.live,
    nodes: d.nodes,
    publisher: d.publisher,
    repos,
    log: d.log,
  });
  const wallboard = new Wallboard({
    figures: (projectId, now) => repos.wallboard.figures(projectId, now),
    clock: d.clock,
    publisher: d.publisher,
    // Another instance's samples would be wrong (stale agents, no waiting customers) and reach the manager's page
    // through the fan-out beside the owner's.
    projects: async () => (await repos.projects.active()).filter((p) => d.ownership.mayAct(p.projectCode)),
    onError: (err) => d.log.warn({ err }, 'a wallboard sample failed'),
    agentsOf: (projectCode) => agents.ofProject(projectCode),
    waitingOf: (projectCode) => calls.waitingInProject(projectCode),
  });
  return { ...supervisor, wallboard };
}
