// Who may drive a call through our outbound socket (issue 17.1). Anything that can reach the port can speak ESL and
// claim to be a leg, and a leg's variables decide which number it settles, which call log it writes and which agent
// it logs in or off. So before any flow runs, a leg proves three things:
//
// 1. It comes from a node's FreeSWITCH: its channel carries that node's socket token (cc_socket_token), which only
//    the node's configuration (freeswitch-conf vars.xml, set by the dialplan) and our originates carry. Each node
//    has its own token, derived from one server secret, so a node's configuration opens no other node's door.
// 2. Its ids are ours: a leg carrying cc_call_id (or any variable only our originate sets) must be one we
//    originated to that node and not yet seen; dialplan legs carry none of them.
// 3. (At accept, before a byte is read) its address is a node's, where that can be known: see peerCheck.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { SOCKET_TOKEN_VAR } from '../core/freeswitch.js';
import type { ExpectedLeg, ExpectedLegs } from './expected-legs.js';

/**
 * A node's token: HMAC-SHA256(secret, "callcenter socket <node name>"), base64url (43 characters that need no
 * escaping in XML, a channel-variable block or a URL). scripts/freeswitch/configure.mjs computes the same.
 */
export function socketToken(secret: string, nodeName: string): string {
  // Every originate and every connected leg needs its node's token: computed once per node (and secret), not per use.
  const key = `${nodeName}\n${secret}`;
  let token = tokens.get(key);
  if (token === undefined) {
    if (tokens.size >= TOKENS_KEPT) tokens.clear();
    token = createHmac('sha256', secret).update(`callcenter socket ${nodeName}`).digest('base64url');
    tokens.set(key, token);
  }
  return token;
}
const tokens = new Map<string, string>();
const TOKENS_KEPT = 256;

/** Flows freeswitch-conf's dialplan starts (dialplan/default.xml, public.xml); every other flow is our originate's. */
export const DIALPLAN_FLOWS: ReadonlySet<string> = new Set([
  'inbound',
  'agent_login',
  'agent_logoff',
  'fifo',
  'agent_call',
]);

/** Variables only our originates set (dialer.ts); the dialplan sets none of them. */
const ORIGINATE_VARS = [
  'cc_call_id',
  'cc_number_id',
  'cc_task',
  'cc_number',
  'cc_agent',
  'cc_dial',
  'cc_gw',
  'cc_caller_id',
];

type LegRefusal = 'token' | 'unexpected-leg' | 'forged-variables';

export type LegProof =
  { ok: true; nodeId: number; originated?: ExpectedLeg } | { ok: false; why: LegRefusal; detail: string };

interface LegProofDeps {
  secret: string;
  /** Nodes whose legs we take (the active ones). */
  nodes(): readonly { id: number; name: string }[];
  expected: ExpectedLegs;
}

/** Checks a leg's connect-reply headers (URL-decoded). Claims the leg's originate when it proves one. */
export function proveLeg(h: Readonly<Record<string, string>>, d: LegProofDeps): LegProof {
  const v = (name: string): string => h[`variable_${name}`] ?? '';
  const nodeId = nodeOfToken(v(SOCKET_TOKEN_VAR), d);
  if (nodeId === undefined) return { ok: false, why: 'token', detail: 'no valid socket token' };
  const flow = v('cc_flow');
  const callId = v('cc_call_id');
  const originateVars = ORIGINATE_VARS.filter((name) => v(name) !== '');
  if (DIALPLAN_FLOWS.has(flow)) {
    if (originateVars.length === 0) return { ok: true, nodeId };
    return {
      ok: false,
      why: 'forged-variables',
      detail: `a ${flow} leg carries ${originateVars.join(', ')}`,
    };
  }
  const originated = callId ? d.expected.claim(callId) : undefined;
  if (!originated)
    return { ok: false, why: 'unexpected-leg', detail: `no originate of ours for call ${callId}` };
  const numberId = v('cc_number_id') ? Number(v('cc_number_id')) : undefined;
  if (originated.nodeId !== nodeId || originated.flow !== flow || originated.numberId !== numberId)
    return { ok: false, why: 'forged-variables', detail: `call ${callId} is not the leg we originated` };
  return { ok: true, nodeId, originated };
}

function nodeOfToken(token: string, d: LegProofDeps): number | undefined {
  if (!token || !d.secret) return undefined;
  const given = Buffer.from(token);
  for (const node of d.nodes()) {
    const want = Buffer.from(socketToken(d.secret, node.name));
    if (want.length === given.length && timingSafeEqual(want, given)) return node.id;
  }
  return undefined;
}

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/** This host's own addresses: a FreeSWITCH on this host may reach a 0.0.0.0 listener from any of them. */
export function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}

interface PeerCheckDeps {
  /** CC_SOCKET_ALLOW. */
  allow: readonly string[];
  /** CC_SOCKET_REACH_AT is set: FreeSWITCH reaches us through something whose address we do not know. */
  behindProxy: boolean;
  nodes(): readonly { eslHost: string; nativeAddress: string }[];
  localAddresses(): readonly string[];
}

/**
 * Whether a peer address may be a node: a node's ESL host or SIP address (any of this host's addresses when that is
 * loopback), or CC_SOCKET_ALLOW. Where the address cannot be known without more settings, every peer passes and the
 * token alone decides: behind CC_SOCKET_REACH_AT (a proxy, NAT) or with a node whose eslHost is a host name (we do
 * not resolve names per connection), unless CC_SOCKET_ALLOW names the addresses.
 */
export function peerCheck(d: PeerCheckDeps): (address: string) => boolean {
  return (address) => {
    if (d.allow.includes(address)) return true;
    if (d.behindProxy && d.allow.length === 0) return true;
    let local = false;
    const hosts = new Set<string>();
    for (const node of d.nodes())
      for (const host of [node.eslHost, hostOf(node.nativeAddress)]) {
        if (isLoopback(host)) local = true;
        else if (isIP(host)) hosts.add(host);
        else if (host && d.allow.length === 0 && host === node.eslHost) return true;
      }
    if (hosts.has(address)) return true;
    return local && (isLoopback(address) || d.localAddresses().includes(address));
  };
}

/** `10.0.0.5:5060` → `10.0.0.5`; `[::1]:5060` → `::1`. */
function hostOf(address: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(address) ?? /^([^:]+)(?::\d+)?$/.exec(address);
  return m?.[1] ?? address;
}
