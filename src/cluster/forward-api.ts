// Signed HTTP API requests acting on an agent's live state, for a project another instance owns (issue 20), sent to
// the owner over the bus (signed-rpc.ts): only the owner's registry decides who is offered calls. The request names
// the API account the sending instance authenticated; the owner checks the account again in its own store and that
// it still holds the project (src/api/owner-api.ts serve) before it runs the request.
import {
  OWNER_CALLS,
  type ApiAnswer,
  type ForwardedApiCall,
  type OwnerCall,
  type RemoteApi,
} from '../api/remote-api.js';
import { isString, ownerRpc, type OwnerRpcDeps } from './owner-rpc.js';

function requestFields(v: unknown): unknown[] | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Partial<ForwardedApiCall>;
  if (!isString(r.account) || !isString(r.clientIp) || !isString(r.projectCode) || !isString(r.params))
    return undefined;
  if (!OWNER_CALLS.includes(r.call as OwnerCall)) return undefined;
  return [r.account, r.clientIp, r.call, r.projectCode, r.params];
}

/** The owner's error (its status and message), given back by the asker as its own. */
function errorFields(a: Record<string, unknown>): unknown[] | undefined {
  return a.kind === 'error' && typeof a.status === 'number' && isString(a.message)
    ? ['error', a.status, a.message]
    : undefined;
}

/** `timeoutMs`: how long a request waits for the owner before it is refused, or (a read) answered from the store (5 s). */
export function forwardedApi(d: OwnerRpcDeps): RemoteApi {
  const rpc = ownerRpc<ForwardedApiCall, ApiAnswer>(d, {
    purpose: 'api',
    counters: 'cluster.api',
    defaultTimeoutMs: 5000,
    what: 'API requests',
    one: 'request',
    requestFields,
    otherAnswerFields: errorFields,
  });
  return { call: rpc.ask, serve: rpc.serve };
}
