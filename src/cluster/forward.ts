// /app commands for a project another instance owns (issue 20): they are sent to the owner over the bus
// (bus.ts sendRpc) and answered as if they had run here (request/reply, with a timeout). The owner runs them with
// the principal the requesting instance authenticated, never one a body names: each request carries an HMAC of its
// whole content under a key derived from the cluster's socket secret (which every instance shares already, for the
// nodes' socket tokens), so nothing but an instance of this cluster can make the owner run a command for anyone;
// a message without the right one is dropped and counted. The owner checks the principal again against its own
// view (stomp/area.ts serve), and that it still holds the project.
import type { Clock } from '../core/clock.js';
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
import { signedRpc } from './signed-rpc.js';

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

const ROLES: readonly Role[] = ['agent', 'manager', 'service'];
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

/** A command's signed fields, in a fixed order (JSON of an object keeps insertion order, not a canonical one). */
function commandFields(v: unknown): unknown[] | undefined {
  if (!isCommand(v)) return undefined;
  const { principal: p, destination, body, projectCode } = v;
  return [p.username, p.projectCode, p.role, destination, body, projectCode];
}

const answerFields = (v: unknown): unknown[] | undefined => (isAnswer(v) ? [v] : undefined);

/** Where a project's commands and legs run now: here, at its owner (and its socket address), or nowhere. */
export function ownerPlace(ownership: Ownership, projectCode: string): LegPlace {
  if (ownership.mayAct(projectCode)) return { kind: 'here' };
  const owner = ownership.ownerOf(projectCode);
  // The view may still name this instance while its grant has run out: nobody may act for the project now.
  if (!owner || owner.id === ownership.me) return { kind: 'nobody' };
  return { kind: 'at', instance: owner.id, socketAt: owner.socketAt };
}

export function forwardedCommands(d: ForwardDeps): RemoteCommands {
  const { ownership } = d;
  const timeoutMs = d.timeoutMs ?? 5000;
  // The wire format and key of the first version: instances of two versions side by side (a rolling upgrade) agree.
  const rpc = signedRpc<ForwardedCommand, CommandAnswer>({
    ...d,
    me: ownership.me,
    purpose: 'commands',
    wire: { request: { kind: 'command', field: 'command' }, answer: { kind: 'answer', field: 'answer' } },
    requestFields: commandFields,
    answerFields,
    counters: 'cluster.commands',
    timeoutMs,
    unserved: () => ({ kind: 'refused', reason: 'commands are not served yet' }),
  });
  return {
    placeOf(projectCode): CommandPlace {
      const place = ownerPlace(ownership, projectCode);
      return place.kind === 'at' ? { kind: 'at', instance: place.instance } : place;
    },
    forward(instance, command) {
      return rpc.ask(instance, command, (why) => ({
        kind: 'refused',
        reason:
          why === 'timeout'
            ? `${command.destination}: instance ${instance}, which holds project ${command.projectCode}, did not answer within ${timeoutMs} ms; try again`
            : `${command.destination}: project ${command.projectCode} is held by instance ${instance}, and the link to it (RabbitMQ) is down; try again`,
      }));
    },
    serve(run) {
      rpc.serve(run, () => ({ kind: 'failed' }));
    },
  };
}
