// Which task an inbound call belongs to (scheduleType 11, callType 3; issue 5). A carrier's call reaches us on one of
// our gateways; the running inbound task whose gateways include that gateway takes it. The gateway is known best
// from cc_gateway (sofia-conf sets it on inbound legs of gateways we register to); without it, the dialled DID is
// compared with the numbers we own on each gateway (its caller id, its account), then the carrier's address with
// the gateway's realm (carriers registered to us send from there).
import type { InboundCall } from './legs/types.js';

interface InboundGateway {
  gwCode: string;
  realm: string;
  originationCallId: string | null;
  username: string | null;
}

export interface InboundCandidate {
  taskCode: string;
  projectCode: string;
  startedAt: number | null;
  taskId: number;
  gateways: InboundGateway[];
}

interface InboundRoute {
  taskCode: string;
  projectCode: string;
  gatewayCode: string;
}

const hostOf = (realm: string): string => realm.replace(/^sips?:/, '').split(/[:;]/)[0] ?? '';
const digits = (n: string | null): string => (n ?? '').replace(/^\+?86(?=1\d{10}$)/, '').replace(/^\+/, '');

/** The ways a gateway can be recognised, strongest first; the first way that matches any task decides. */
const RULES: readonly ((g: InboundGateway, call: InboundCall) => boolean)[] = [
  (g, c) => c.gatewayCode !== '' && g.gwCode === c.gatewayCode,
  (g, c) => c.did !== '' && [g.originationCallId, g.username].some((n) => n && digits(n) === digits(c.did)),
  (g, c) => [c.networkIp, c.fromHost].some((ip) => ip !== '' && hostOf(g.realm) === ip),
];

/**
 * Picks the task for an inbound call. Several running tasks on one gateway: the most recently started one takes
 * the call (a new campaign on the same line supersedes the old one until that is paused or ended).
 */
export function pickInboundTask(candidates: InboundCandidate[], call: InboundCall): InboundRoute | undefined {
  const newestFirst = [...candidates].sort(
    (a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0) || b.taskId - a.taskId,
  );
  for (const rule of RULES)
    for (const task of newestFirst) {
      const gw = task.gateways.find((g) => rule(g, call));
      if (gw) return { taskCode: task.taskCode, projectCode: task.projectCode, gatewayCode: gw.gwCode };
    }
  return undefined;
}

/** CallServices.routeInbound. */
export const inboundRouter =
  (store: { candidates(): Promise<InboundCandidate[]> }) =>
  async (call: InboundCall): Promise<InboundRoute | undefined> =>
    pickInboundTask(await store.candidates(), call);
