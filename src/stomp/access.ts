// Who may subscribe to what, and on whose behalf an /app command may act: the project's default rules as pure
// functions. Topic names follow the API contract (callcenter-api.md §三): per-agent topics end in the username,
// project topics end in the project code.
import { parseTopic, TOPIC_PREFIX } from '../core/topics.js';

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

// Access is decided from the topic's kind (core/topics.ts), never by comparing a segment with whatever the principal
// is named: a project code may equal an extension number.
/** Project topics an agent's UI subscribes to; managers get every project topic of their project. */
const AGENT_PROJECT_TOPICS: ReadonlySet<string> = new Set(['task']);

/** `true`, or the reason the subscription is refused. */
export function authorizeSubscribe(
  deps: AccessRuleDeps,
  principal: Principal,
  destination: string,
): true | string {
  if (!destination.startsWith(TOPIC_PREFIX))
    return `only /topic/... destinations can be subscribed to, not ${destination}`;
  const topic = parseTopic(destination);
  const denied = `${principal.role} ${principal.username} of project ${principal.projectCode} may not subscribe to ${destination}`;
  if (!topic) return denied;
  // A business system's account sees the whole site, as its signed HTTP requests do; it only listens.
  if (principal.role === 'service') return true;
  const manager = principal.role === 'manager';
  const seesUser = (username: string) =>
    username === principal.username || (manager && deps.isUsernameInProject(username, principal.projectCode));
  switch (topic.kind) {
    case 'user':
      return seesUser(topic.username) ? true : denied;
    case 'notify':
      return topic.projectCode === principal.projectCode && seesUser(topic.username) ? true : denied;
    case 'project':
      return topic.projectCode === principal.projectCode && (manager || AGENT_PROJECT_TOPICS.has(topic.name))
        ? true
        : denied;
  }
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
