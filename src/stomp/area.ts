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
import type { Broker } from './types.js';

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
  const broker: Broker = createBroker({
    clock,
    logger: d.log,
    maxSessionsPerUser: d.config.limits.stompSessionsPerUser,
    relay: d.relay,
    ...projectAccessRules({
      isUsernameInProject: (username, projectCode) => d.assigned(username)?.projectCode === projectCode,
    }),
    authenticate: stompLogin({ clock, repos: d.repos, assigned: d.assigned, logins, log: d.log }),
    async onAppMessage(principal, destination, body) {
      const command = commands.get(destination);
      const notify = Topics.notify(principal.projectCode, principal.username);
      if (!command) return void broker.publish(notify, error(`unknown command ${destination}`));
      let parsed: Record<string, unknown>;
      try {
        parsed = body.trim() ? (JSON.parse(body) as Record<string, unknown>) : {};
      } catch {
        return void broker.publish(notify, error(`${destination}: body must be JSON`));
      }
      metrics.inc(`stomp.app${destination.slice(4).replace(/\//g, '.')}`);
      await command(principal, parsed);
    },
  });
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
