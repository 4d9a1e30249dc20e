// The STOMP area: the broker at /callcenter/ws with the project's access rules, logins for agents and managers
// (extension and SIP password) and business systems (an API account and its secret), and the registry of /app
// commands that the other areas fill with their own.
import type { AppCommand } from '../agents/commands.js';
import type { AgentEntry } from '../agents/registry.js';
import { stompLogin } from '../api/stomp-login.js';
import type { Clock } from '../core/clock.js';
import { LoginThrottle } from '../core/login-throttle.js';
import type { Metrics } from '../core/metrics.js';
import { Topics } from '../core/topics.js';
import type { Repos } from '../db/repos/index.js';
import { projectAccessRules } from './access.js';
import { createBroker } from './broker.js';
import type { Relay } from './relay.js';
import { usernameOf } from './commands.js';
import {
  projectOfCommand,
  type CommandAnswer,
  type ForwardedCommand,
  type RemoteCommands,
} from './remote-commands.js';
import type { Broker, Principal } from './types.js';

interface StompAreaDeps {
  config: { limits: { stompSessionsPerUser: number } };
  clock: Clock;
  metrics: Metrics;
  log: {
    warn(obj: object, msg: string): void;
    info(obj: object, msg: string): void;
    debug(obj: object, msg: string): void;
  };
  repos: Repos;
  /** The agent (or manager) an extension is assigned as, for logins and the access rules. */
  assigned(username: string): AgentEntry | undefined;
  /** The other instances' subscribers (src/cluster, only when CC_AMQP_URL is set). */
  relay?: Relay;
  /** The owners of projects held elsewhere, for their /app commands (src/cluster, only when CC_AMQP_URL is set). */
  remote?: RemoteCommands;
}

interface StompArea {
  broker: Broker;
  logins: LoginThrottle;
  /** Adds an area's /app commands (destination → handler). */
  addCommands(commands: Record<string, AppCommand>): void;
}

export function composeStomp(d: StompAreaDeps): StompArea {
  const { clock, metrics } = d;
  const commands = new Map<string, AppCommand>();
  const logins = new LoginThrottle(clock);
  const error = (data: string) => ({ duration: '3', msgType: 'error', data, type: 'message' });
  const rules = projectAccessRules({
    isUsernameInProject: (username, projectCode) => d.assigned(username)?.projectCode === projectCode,
  });
  const projectOfUser = (username: string) => d.assigned(username)?.projectCode;

  /** The command's handler and its parsed body, or why it cannot run (told on the sender's notify topic). */
  function prepare(
    destination: string,
    body: string,
  ): { refused: string } | { command: AppCommand; parsed: Record<string, unknown> } {
    const command = commands.get(destination);
    if (!command) return { refused: `unknown command ${destination}` };
    try {
      const parsed = body.trim() ? (JSON.parse(body) as Record<string, unknown>) : {};
      return { command, parsed };
    } catch {
      return { refused: `${destination}: body must be JSON` };
    }
  }

  const runHere = async (principal: Principal, destination: string, command: AppCommand, parsed: object) => {
    metrics.inc(`stomp.app${destination.slice(4).replace(/\//g, '.')}`);
    await command(principal, parsed as Record<string, unknown>);
  };

  const broker: Broker = createBroker({
    clock,
    logger: d.log,
    maxSessionsPerUser: d.config.limits.stompSessionsPerUser,
    relay: d.relay,
    ...rules,
    authenticate: stompLogin({ clock, repos: d.repos, assigned: d.assigned, logins, log: d.log }),
    async onAppMessage(principal, destination, body) {
      const notify = Topics.notify(principal.projectCode, principal.username);
      const ready = prepare(destination, body);
      if ('refused' in ready) return void broker.publish(notify, error(ready.refused));
      const projectCode = d.remote && projectOfCommand(principal, ready.parsed, projectOfUser);
      const place = projectCode === undefined ? undefined : d.remote?.placeOf(projectCode);
      if (!place || place.kind === 'here' || projectCode === undefined)
        return runHere(principal, destination, ready.command, ready.parsed);
      if (place.kind === 'nobody') {
        metrics.inc('stomp.app.noOwner');
        const why = `${destination}: project ${projectCode} has no owning instance at the moment (another is taking it over); try again in a few seconds`;
        return void broker.publish(notify, error(why));
      }
      const answer = await d.remote!.forward(place.instance, { principal, destination, body, projectCode });
      if (answer.kind === 'refused') broker.publish(notify, error(answer.reason));
      if (answer.kind === 'failed') throw new Error(`${destination} failed at instance ${place.instance}`);
    },
  });

  /** A command another instance forwards: run as if its session were here, after the same checks. */
  async function serveForwarded(c: ForwardedCommand): Promise<CommandAnswer> {
    const { principal, destination, body, projectCode } = c;
    const refuse = (reason: string): CommandAnswer => {
      metrics.inc('stomp.app.forwardRefused');
      return { kind: 'refused', reason };
    };
    const why = await principalRefusal(principal);
    if (why) {
      d.log.warn({ principal, destination, why }, 'forwarded command refused');
      return refuse(`${destination}: ${why}`);
    }
    const username = usernameOf(body);
    if (username !== undefined && !rules.mayActAs(principal, username))
      return refuse(`${principal.username} may not send ${destination} for username ${username}`);
    const ready = prepare(destination, body);
    if ('refused' in ready) return refuse(ready.refused);
    if (projectOfCommand(principal, ready.parsed, projectOfUser) !== projectCode)
      return refuse(`${destination}: the command does not act in project ${projectCode}`);
    if (d.remote?.placeOf(projectCode).kind !== 'here')
      return refuse(`${destination}: this instance does not hold project ${projectCode} any more; try again`);
    await runHere(principal, destination, ready.command, ready.parsed);
    return { kind: 'done' };
  }

  /** Why this instance would not have authenticated the principal as it stands; undefined when it would. */
  async function principalRefusal(p: Principal): Promise<string | undefined> {
    if (p.role === 'service')
      return p.projectCode === '*' && (await d.repos.accounts.find(p.username))
        ? undefined
        : `no API account ${p.username}`;
    const entry = d.assigned(p.username);
    const role = entry?.type === 3 ? 'manager' : 'agent';
    if (!entry || entry.projectCode !== p.projectCode || role !== p.role)
      return `${p.username} is not ${p.role === 'manager' ? 'a manager' : 'an agent'} of project ${p.projectCode}`;
    return undefined;
  }

  d.remote?.serve(serveForwarded);
  metrics.gauge('stomp.sessions', () => broker.sessions());
  metrics.gauge('logins.failed', () => logins.counters.failures);
  metrics.gauge('logins.refusedWhileLocked', () => logins.counters.refusedWhileLocked);
  metrics.gauge('logins.delayed', () => logins.counters.delayed);
  return {
    broker,
    logins,
    addCommands: (more) => {
      for (const [destination, fn] of Object.entries(more)) commands.set(destination, fn);
    },
  };
}
