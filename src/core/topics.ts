// The STOMP destinations of the contract (callcenter-api.md §三), one function per family. Publishers, the access
// rules, the pages and the tests spell a destination only through these: a user topic ends in a username, a
// project topic in a project code, notify in both.
export const TOPIC_PREFIX = '/topic/';

/** Topics about one agent (or manager), ending in the username. */
const USER_TOPICS = ['register', 'call', 'status', 'invite', 'bye', 'transfer'] as const;
/** Topics about one project, ending in the project code. */
const PROJECT_TOPICS = ['task', 'callExtStatus', 'callTaskStatus', 'wallboard'] as const;
type UserTopic = (typeof USER_TOPICS)[number];
type ProjectTopic = (typeof PROJECT_TOPICS)[number];

const userTopic = (name: UserTopic, username: string): string => `${TOPIC_PREFIX}${name}/${username}`;
const projectTopic = (name: ProjectTopic, projectCode: string): string =>
  `${TOPIC_PREFIX}${name}/${projectCode}`;

/** One function per destination (spec §三). */
export const Topics = {
  register: (username: string) => userTopic('register', username),
  call: (username: string) => userTopic('call', username),
  status: (username: string) => userTopic('status', username),
  invite: (username: string) => userTopic('invite', username),
  bye: (username: string) => userTopic('bye', username),
  transfer: (username: string) => userTopic('transfer', username),
  task: (projectCode: string) => projectTopic('task', projectCode),
  callExtStatus: (projectCode: string) => projectTopic('callExtStatus', projectCode),
  callTaskStatus: (projectCode: string) => projectTopic('callTaskStatus', projectCode),
  wallboard: (projectCode: string) => projectTopic('wallboard', projectCode),
  /** Answers and messages for one user of one project (spec 三.9). */
  notify: (projectCode: string, username: string) => `${TOPIC_PREFIX}notify/${projectCode}/${username}`,
} as const;

type ParsedTopic =
  | { kind: 'user'; name: UserTopic; username: string }
  | { kind: 'project'; name: ProjectTopic; projectCode: string }
  | { kind: 'notify'; projectCode: string; username: string };

const isUserTopic = (name: string): name is UserTopic => (USER_TOPICS as readonly string[]).includes(name);
const isProjectTopic = (name: string): name is ProjectTopic =>
  (PROJECT_TOPICS as readonly string[]).includes(name);

/** What a destination is, or null when it is none of the contract's topics. */
export function parseTopic(destination: string): ParsedTopic | null {
  if (!destination.startsWith(TOPIC_PREFIX)) return null;
  const parts = destination.slice(TOPIC_PREFIX.length).split('/');
  if (!parts.every((p) => p.length > 0)) return null;
  const [name, a, b] = parts;
  if (parts.length === 3 && name === 'notify') return { kind: 'notify', projectCode: a, username: b };
  if (parts.length !== 2) return null;
  if (isUserTopic(name)) return { kind: 'user', name, username: a };
  if (isProjectTopic(name)) return { kind: 'project', name, projectCode: a };
  return null;
}
