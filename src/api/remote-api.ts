// The port through which the signed HTTP API's requests that change or read an agent's live state reach the
// instance that owns the project (issue 20). Only the owner holds that state (its registry decides who is offered
// calls): a setWorkStatus run at another instance would change that instance's registry and the stored field, and the
// owner would keep offering calls by its old view. The API declares the port; src/cluster/forward-api.ts implements it
// over the RabbitMQ bus, and app.ts plugs one in only with CC_AMQP_URL: without it every request runs here.

/** The signed endpoints that act on live state held only at the owner (src/api/owner-api.ts runs them). */
export type OwnerCall =
  'setWorkStatus' | 'setWorkStatusByProjectCode' | 'getExtentionByProject' | 'distributionSeat';

export const OWNER_CALLS: readonly OwnerCall[] = [
  'setWorkStatus',
  'setWorkStatusByProjectCode',
  'getExtentionByProject',
  'distributionSeat',
];

export interface ForwardedApiCall {
  /** The API account the receiving instance authenticated (its signature checked there), never one a body names. */
  account: string;
  /** The client address the receiving instance saw: the owner checks the account's address list against it. */
  clientIp: string;
  call: OwnerCall;
  /**
   * The project acted on (for distributionSeat the extension's project before the move, where its calls run): the
   * owner refuses the call when it no longer holds it.
   */
  projectCode: string;
  /** The endpoint's validated parameters (username, workStatus), as JSON. */
  params: string;
}

/**
 * `data`: the owner's answer (the envelope's data); `error`: the owner's own error answer, given back as it is
 * (status and message, e.g. 409 for an agent on a call); `refused`: it did not run the call (why).
 */
export type ApiAnswer =
  | { kind: 'data'; data: unknown }
  | { kind: 'error'; status: number; message: string }
  | { kind: 'refused'; reason: string };

export interface RemoteApi {
  /** Asks `instance`; resolves with its answer, or a refusal once the wait is over or the link is down. */
  call(instance: string, request: ForwardedApiCall): Promise<ApiAnswer>;
  /** Takes the calls other instances forward here. */
  serve(run: (request: ForwardedApiCall, from: string) => Promise<ApiAnswer>): void;
}
