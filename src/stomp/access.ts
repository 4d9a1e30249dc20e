// Who may subscribe to what, and on whose behalf an /app command may act: the project's default rules as pure
// functions. Topic names follow the API contract (callcenter-api.md §三): per-agent topics end in the username,
// project topics end in the project code.
export type Role = 'agent' | 'manager' | 'service';

export interface Principal {
  username: string;
  projectCode: string;
  role: Role;
}

export interface AccessRuleDeps {
  /** Whether `username` is an agent (extension) of `projectCode`; a manager may watch and act for those agents. */
  isUsernameInProject(username: string, projectCode: string): boolean;
}

/** Project-wide topics an agent's UI subscribes to. */
const AGENT_PROJECT_TOPICS = ['task'];
/** Project-wide topics of the manager console. */
const MANAGER_PROJECT_TOPICS = ['callExtStatus', 'callTaskStatus', 'task', 'wallboard'];

function segments(destination: string): string[] | null {
  if (!destination.startsWith('/topic/')) return null;
  const parts = destination.slice('/topic/'.length).split('/');
  return parts.every((p) => p.length > 0) ? parts : null;
}

/** `true`, or the reason the subscription is refused. */
export function authorizeSubscribe(
  deps: AccessRuleDeps,
  principal: Principal,
  destination: string,
): true | string {
  if (principal.role === 'service') return true;
  const parts = segments(destination);
  if (!parts) return `only /topic/... destinations can be subscribed to, not ${destination}`;
  const denied = `${principal.role} ${principal.username} of project ${principal.projectCode} may not subscribe to ${destination}`;
  const [name, a, b] = parts;
  if (parts.length === 3 && name === 'notify') {
    if (a !== principal.projectCode) return denied;
    if (b === principal.username) return true;
    return principal.role === 'manager' && deps.isUsernameInProject(b, a) ? true : denied;
  }
  if (parts.length !== 2) return denied;
  if (a === principal.username) return true;
  const projectTopics = principal.role === 'manager' ? MANAGER_PROJECT_TOPICS : AGENT_PROJECT_TOPICS;
  if (a === principal.projectCode && projectTopics.includes(name)) return true;
  if (principal.role === 'manager' && deps.isUsernameInProject(a, principal.projectCode)) return true;
  return denied;
}

/**
 * Whether an /app command carrying `username` may be run by `principal`: one's own username always; a manager
 * for the agents of its project (eavesdrop, conference, pmCallAgent name the agent); a service for anyone.
 */
export function mayActAs(deps: AccessRuleDeps, principal: Principal, username: string): boolean {
  if (principal.role === 'service' || username === principal.username) return true;
  return principal.role === 'manager' && deps.isUsernameInProject(username, principal.projectCode);
}

/** The rules bound to a lookup, in the shape createBroker takes. */
export function projectAccessRules(deps: AccessRuleDeps): {
  authorizeSubscribe(principal: Principal, destination: string): true | string;
  mayActAs(principal: Principal, username: string): boolean;
} {
  return {
    authorizeSubscribe: (principal, destination) => authorizeSubscribe(deps, principal, destination),
    mayActAs: (principal, username) => mayActAs(deps, principal, username),
  };
}
