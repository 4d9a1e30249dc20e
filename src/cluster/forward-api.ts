// Signed HTTP API requests acting on an agent's live state, for a project another instance owns (issue 20), sent to
// the owner over the bus (signed-rpc.ts): only the owner's registry decides who is offered calls. The request names
// the API account the sending instance authenticated; the owner checks the account again in its own store and that
// it still holds the project (src/api/owner-api.ts serve) before it runs the request.
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import {
  OWNER_CALLS,
  type ApiAnswer,
  type ForwardedApiCall,
  type OwnerCall,
  type RemoteApi,
} from '../api/remote-api.js';
import type { RpcLink } from './bus.js';
import { signedRpc } from './signed-rpc.js';

interface ApiDeps {
  link: RpcLink;
  me: string;
  secret: string;
  clock: Clock;
  metrics: Metrics;
  log: { warn(obj: object, msg: string): void };
  /** How long a request waits for the owner before it is refused, or (a read) answered from the store (5 s). */
  timeoutMs?: number;
}

const isString = (v: unknown): v is string => typeof v === 'string';

function requestFields(v: unknown): unknown[] | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Partial<ForwardedApiCall>;
  if (!isString(r.account) || !isString(r.clientIp) || !isString(r.projectCode) || !isString(r.params))
    return undefined;
  if (!OWNER_CALLS.includes(r.call as OwnerCall)) return undefined;
  return [r.account, r.clientIp, r.call, r.projectCode, r.params];
}

function answerFields(v: unknown): unknown[] | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const a = v as Partial<{ kind: string; data: unknown; status: unknown; message: unknown; reason: unknown }>;
  if (a.kind === 'data') return ['data', JSON.stringify(a.data ?? null)];
  if (a.kind === 'error' && typeof a.status === 'number' && isString(a.message))
    return ['error', a.status, a.message];
  if (a.kind === 'refused' && isString(a.reason)) return ['refused', a.reason];
  return undefined;
}

export function forwardedApi(d: ApiDeps): RemoteApi {
  const timeoutMs = d.timeoutMs ?? 5000;
  const rpc = signedRpc<ForwardedApiCall, ApiAnswer>({
    ...d,
    purpose: 'api',
    wire: { request: { kind: 'api', field: 'body' }, answer: { kind: 'api-answer', field: 'body' } },
    requestFields,
    answerFields,
    counters: 'cluster.api',
    timeoutMs,
    unserved: () => ({ kind: 'refused', reason: 'API requests are not served by that instance yet' }),
  });
  return {
    call(instance, request) {
      return rpc.ask(instance, request, (why) => ({
        kind: 'refused',
        reason:
          why === 'timeout'
            ? `instance ${instance}, which holds project ${request.projectCode}, did not answer within ${timeoutMs} ms`
            : `project ${request.projectCode} is held by instance ${instance}, and the link to it (RabbitMQ) is down`,
      }));
    },
    serve(run) {
      rpc.serve(run, () => ({ kind: 'refused', reason: 'the request failed at the owner' }));
    },
  };
}
