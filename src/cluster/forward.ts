// /app commands for a project another instance owns (issue 20): they are sent to the owner over the bus
// (bus.ts sendRpc) and answered as if they had run here (request/reply, with a timeout). The owner runs them with
// the principal the requesting instance authenticated, never one a body names: each request carries an HMAC of its
// whole content under a key derived from the cluster's socket secret (which every instance shares already, for the
// nodes' socket tokens), so nothing but an instance of this cluster can make the owner run a command for anyone;
// a message without the right one is dropped and counted. The owner checks the principal again against its own
// view (stomp/area.ts serve), and that it still holds the project.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import type { Principal, Role } from '../stomp/access.js';
import type {
  CommandAnswer,
  CommandPlace,
  ForwardedCommand,
  RemoteCommands,
} from '../stomp/remote-commands.js';
import type { LegPlace } from '../calls/legs/handoff.js';
import type { RpcLink } from './bus.js';
import type { Ownership } from './ownership.js';

interface ForwardDeps {
  link: RpcLink;
  ownership: Ownership;
  /** The cluster's socket secret (CC_SOCKET_SECRET or the data directory's): the signing key derives from it. */
  secret: string;
  clock: Clock;
  metrics: Metrics;
  log: { warn(obj: object, msg: string): void };
  /** How long a requester waits for the owner's answer (default 5 s). */
  timeoutMs?: number;
}

interface Request {
  kind: 'command';
  id: string;
  from: string;
  to: string;
  command: ForwardedCommand;
}

interface Reply {
  kind: 'answer';
  id: string;
  from: string;
  to: string;
  answer: CommandAnswer;
}

type Signed<T> = T & { sig: string };

const ROLES: readonly Role[] = ['agent', 'manager', 'service'];
const COUNTERS = [
  'cluster.commands.forwarded',
  'cluster.commands.served',
  'cluster.commands.timedOut',
  'cluster.commands.unsent',
  'cluster.commands.forged',
];

const isString = (v: unknown): v is string => typeof v === 'string';

function isPrincipal(v: unknown): v is Principal {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  return isString(p.username) && isString(p.projectCode) && ROLES.includes(p.role as Role);
}

function isCommand(v: unknown): v is ForwardedCommand {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return isPrincipal(c.principal) && isString(c.destination) && isString(c.body) && isString(c.projectCode);
}

function isAnswer(v: unknown): v is CommandAnswer {
  if (typeof v !== 'object' || v === null) return false;
  const a = v as Record<string, unknown>;
  return a.kind === 'done' || a.kind === 'failed' || (a.kind === 'refused' && isString(a.reason));
}

/** The fields that are signed, in a fixed order (JSON of an object keeps insertion order, not a canonical one). */
function signedText(m: Request | Reply): string {
  if (m.kind === 'answer') return JSON.stringify(['answer', m.id, m.from, m.to, m.answer]);
  const { principal: p, destination, body, projectCode } = m.command;
  return JSON.stringify([
    'command',
    m.id,
    m.from,
    m.to,
    p.username,
    p.projectCode,
    p.role,
    destination,
    body,
    projectCode,
  ]);
}

/** Where a project's commands and legs run now: here, at its owner (and its socket address), or nowhere. */
export function ownerPlace(ownership: Ownership, projectCode: string): LegPlace {
  if (ownership.mayAct(projectCode)) return { kind: 'here' };
  const owner = ownership.ownerOf(projectCode);
  // The view may still name this instance while its grant has run out: nobody may act for the project now.
  if (!owner || owner.id === ownership.me) return { kind: 'nobody' };
  return { kind: 'at', instance: owner.id, socketAt: owner.socketAt };
}

export function forwardedCommands(d: ForwardDeps): RemoteCommands {
  const { link, ownership, metrics, clock } = d;
  const me = ownership.me;
  const timeoutMs = d.timeoutMs ?? 5000;
  const key = createHmac('sha256', d.secret).update('callcenter cluster commands').digest();
  const pending = new Map<string, { settle(answer: CommandAnswer): void; timer: TimerHandle }>();
  let serve: ((command: ForwardedCommand, from: string) => Promise<CommandAnswer>) | undefined;
  for (const name of COUNTERS) metrics.inc(name, 0);
  metrics.gauge('cluster.commands.pending', () => pending.size);

  const sign = (m: Request | Reply): string => createHmac('sha256', key).update(signedText(m)).digest('hex');
  const send = (m: Request | Reply): boolean => link.sendRpc({ ...m, sig: sign(m) });
  const authentic = (m: Signed<Request | Reply>): boolean => {
    const given = Buffer.from(m.sig, 'hex');
    const expected = Buffer.from(sign(m), 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  function forged(why: string, from: string): void {
    metrics.inc('cluster.commands.forged');
    d.log.warn({ from, why }, 'instance message refused: not signed by an instance of this cluster');
  }

  async function answerRequest(m: Request): Promise<void> {
    metrics.inc('cluster.commands.served');
    let answer: CommandAnswer;
    try {
      answer = serve
        ? await serve(m.command, m.from)
        : { kind: 'refused', reason: 'commands are not served yet' };
    } catch {
      answer = { kind: 'failed' };
    }
    send({ kind: 'answer', id: m.id, from: me, to: m.from, answer });
  }

  link.onRpc((message, sender) => {
    if (typeof message !== 'object' || message === null) return forged('not an object', sender);
    const m = message as Partial<Signed<Request | Reply>>;
    if (m.to !== me) return; // another instance's business (every instance gets every message)
    if ((m.kind as string) === 'read' || (m.kind as string) === 'read-answer') return; // forward-reads.ts's
    if (!isString(m.id) || !isString(m.from) || !isString(m.sig)) return forged('malformed', sender);
    // The claimed sender is signed; the AMQP app id (which anyone with the broker's credentials sets) must agree.
    if (m.from !== sender) return forged('sender mismatch', sender);
    if (m.kind === 'command' && isCommand(m.command)) {
      const request = m as Signed<Request>;
      if (!authentic(request)) return forged('bad signature', sender);
      void answerRequest(request);
      return;
    }
    if (m.kind === 'answer' && isAnswer(m.answer)) {
      const reply = m as Signed<Reply>;
      if (!authentic(reply)) return forged('bad signature', sender);
      pending.get(reply.id)?.settle(reply.answer);
      return;
    }
    forged('unknown kind', sender);
  });

  return {
    placeOf(projectCode): CommandPlace {
      const place = ownerPlace(ownership, projectCode);
      return place.kind === 'at' ? { kind: 'at', instance: place.instance } : place;
    },
    forward(instance, command) {
      const id = randomBytes(12).toString('hex');
      return new Promise<CommandAnswer>((resolve) => {
        const settle = (answer: CommandAnswer) => {
          const entry = pending.get(id);
          if (!entry) return;
          pending.delete(id);
          entry.timer.cancel();
          resolve(answer);
        };
        const timer = clock.setTimer(timeoutMs, () => {
          metrics.inc('cluster.commands.timedOut');
          settle({
            kind: 'refused',
            reason: `${command.destination}: instance ${instance}, which holds project ${command.projectCode}, did not answer within ${timeoutMs} ms; try again`,
          });
        });
        pending.set(id, { settle, timer });
        if (!send({ kind: 'command', id, from: me, to: instance, command })) {
          metrics.inc('cluster.commands.unsent');
          settle({
            kind: 'refused',
            reason: `${command.destination}: project ${command.projectCode} is held by instance ${instance}, and the link to it (RabbitMQ) is down; try again`,
          });
          return;
        }
        metrics.inc('cluster.commands.forwarded');
      });
    },
    serve(run) {
      serve = run;
    },
  };
}
