// The request/reply a non-owner asks a project's owner with, shared by the pages' reads (forward-reads.ts) and the
// signed API's live-state requests (forward-api.ts): signed as signed-rpc.ts signs, answered with the owner's data,
// an error it gives (API requests only) or a refusal, and refused here when the owner does not answer in time or
// the bus cannot carry the request. What each use asks and checks stays in its own file.
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import type { RpcLink } from './bus.js';
import { signedRpc } from './signed-rpc.js';

export interface OwnerRpcDeps {
  link: RpcLink;
  me: string;
  secret: string;
  clock: Clock;
  metrics: Metrics;
  log: { warn(obj: object, msg: string): void };
  /** How long a request waits for the owner before it is refused (each use has its default). */
  timeoutMs?: number;
}

/** The owner did not (or could not) answer: the asker falls back or refuses, each use as it must. */
interface OwnerRefusal {
  kind: 'refused';
  reason: string;
}

interface OwnerRpcUse {
  /** The signing key's purpose and the messages' kind (`<kind>` and `<kind>-answer`). */
  purpose: string;
  /** Counter prefix (signed-rpc.ts). */
  counters: string;
  defaultTimeoutMs: number;
  /** What is asked, for the refusals' text: `reads`, `API requests`; and one of them: `read`, `request`. */
  what: string;
  one: string;
  requestFields(v: unknown): unknown[] | undefined;
  /** The fields to sign of an answer other than data and a refusal (e.g. an error); undefined when not one. */
  otherAnswerFields?(a: Record<string, unknown>): unknown[] | undefined;
}

interface OwnerRpc<Q, A> {
  ask(instance: string, request: Q): Promise<A | OwnerRefusal>;
  serve(run: (request: Q, from: string) => Promise<A | OwnerRefusal>): void;
}

export const isString = (v: unknown): v is string => typeof v === 'string';

export function ownerRpc<Q extends { projectCode: string }, A>(
  d: OwnerRpcDeps,
  use: OwnerRpcUse,
): OwnerRpc<Q, A> {
  const timeoutMs = d.timeoutMs ?? use.defaultTimeoutMs;
  const answerFields = (v: unknown): unknown[] | undefined => {
    if (typeof v !== 'object' || v === null) return undefined;
    const a = v as Record<string, unknown>;
    if (a.kind === 'data') return ['data', JSON.stringify(a.data ?? null)];
    if (a.kind === 'refused' && isString(a.reason)) return ['refused', a.reason];
    return use.otherAnswerFields?.(a);
  };
  const rpc = signedRpc<Q, A | OwnerRefusal>({
    ...d,
    purpose: use.purpose,
    wire: {
      request: { kind: use.purpose, field: 'body' },
      answer: { kind: `${use.purpose}-answer`, field: 'body' },
    },
    requestFields: use.requestFields,
    answerFields,
    counters: use.counters,
    timeoutMs,
    unserved: () => ({ kind: 'refused', reason: `${use.what} are not served by that instance yet` }),
  });
  return {
    ask(instance, request) {
      return rpc.ask(instance, request, (why) => ({
        kind: 'refused',
        reason:
          why === 'timeout'
            ? `instance ${instance}, which holds project ${request.projectCode}, did not answer within ${timeoutMs} ms`
            : `project ${request.projectCode} is held by instance ${instance}, and the link to it (RabbitMQ) is down`,
      }));
    },
    serve(run) {
      rpc.serve(run, () => ({ kind: 'refused', reason: `the ${use.one} failed at the owner` }));
    },
  };
}
