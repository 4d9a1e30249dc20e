// A new leg's identity and destination: what its connect reply says (our cc_* variables), where an inbound call
// belongs (its DID's task) and what an agent dialling out becomes (an agent-first call), or why it is refused.
import type { OutboundSession } from '../../esl/index.js';
import { FsCommand } from '../../switch/fs-commands.js';
import { DIALPLAN_FLOWS } from '../leg-proof.js';
import type { LegInfo } from '../flows/types.js';
import type { CallServices, Logger } from './types.js';
import type { Metrics } from '../../core/metrics.js';
import { handedOff, type LegPlaces } from './handoff.js';

/** The connect-reply headers the runner reads (legInfo, route): the leg's socket keeps only these (issue 13). */
export function isChannelHeaderRead(name: string): boolean {
  return name.startsWith('variable_cc_') || CHANNEL_HEADERS_READ.has(name);
}
const CHANNEL_HEADERS_READ = new Set([
  'Unique-ID',
  'Caller-Destination-Number',
  'Caller-Caller-ID-Number',
  'Answer-State',
  'Channel-Call-State',
  'variable_sip_gateway_name',
  'variable_sip_network_ip',
  'variable_sip_from_host',
  'variable_user_name',
]);

interface RoutingDeps {
  services: CallServices;
  metrics: Metrics;
  log: Logger;
  /** The project an agent (extension) belongs to: its dialplan legs go to that project's owner. */
  agents: { get(username: string): { projectCode: string } | undefined };
  places?: LegPlaces;
}

/** The leg as our variables (set by the originate or the dialplan) describe it. */
export async function legInfo(services: CallServices, h: Record<string, string>): Promise<LegInfo> {
  const v = (name: string) => h[`variable_${name}`] ?? '';
  const uuid = h['Unique-ID'] ?? '';
  const taskCode = v('cc_task');
  const task = taskCode ? await services.taskInfo(taskCode) : undefined;
  const role = v('cc_role') || 'customer';
  const flow = v('cc_flow');
  const callerId = h['Caller-Caller-ID-Number'] ?? '';
  return {
    uuid,
    callId: v('cc_call_id') || uuid,
    role,
    flow,
    projectCode: v('cc_project'),
    taskCode,
    destinationNumber: v('cc_number') || h['Caller-Destination-Number'] || '',
    // An agent's own call is the agent who authenticated (sofia sets user_name from the directory entry), not the
    // caller id its phone chose to send: one agent cannot log another off by sending the other's number.
    callerIdNumber: role === 'agent' && DIALPLAN_FLOWS.has(flow) ? v('user_name') || callerId : callerId,
    answered: h['Answer-State'] === 'answered' || h['Channel-Call-State'] === 'ACTIVE',
    voiceFile: task?.voiceFile,
    evaluation: task?.evaluation ?? false,
    amd: role === 'customer' ? task?.amd : undefined,
    gatewayCode: v('cc_gw'),
    numberId: v('cc_number_id') ? Number(v('cc_number_id')) : null,
    agent: v('cc_agent') || undefined,
    customerDial: v('cc_dial') || undefined,
    customerCallerId: v('cc_caller_id') || undefined,
  };
}

/** The leg to run (routed where needed), or null when it was refused and dealt with here. */
export async function routeLeg(
  d: RoutingDeps,
  session: OutboundSession,
  leg: LegInfo,
  h: Record<string, string>,
): Promise<LegInfo | null> {
  // A dialplan leg of an agent runs where the agent's project is owned (its live state is there).
  if (d.places && DIALPLAN_FLOWS.has(leg.flow) && leg.flow !== 'inbound') {
    const projectCode = leg.flow === 'fifo' ? leg.projectCode : d.agents.get(leg.callerIdNumber)?.projectCode;
    if (projectCode && (await handedOff(d, session, leg, projectCode, h))) return null;
  }
  if (leg.flow === 'agent_call') return routeAgentCall(d, session, leg, h);
  if (leg.flow !== 'inbound' || leg.taskCode || !d.services.routeInbound) return leg;
  return routeInbound(d, session, leg, h);
}

/** An inbound leg gets the task and project its DID belongs to (issue 5: routing), or is refused. */
async function routeInbound(
  d: RoutingDeps,
  session: OutboundSession,
  leg: LegInfo,
  h: Record<string, string>,
): Promise<LegInfo | null> {
  const v = (name: string) => h[`variable_${name}`] ?? '';
  const route = await d.services.routeInbound?.({
    did: h['Caller-Destination-Number'] ?? '',
    gatewayCode: v('cc_gateway') || v('sip_gateway_name'),
    networkIp: v('sip_network_ip'),
    fromHost: v('sip_from_host'),
  });
  if (!route) {
    d.metrics.inc('calls.inbound_unrouted');
    d.log.warn({ did: h['Caller-Destination-Number'], uuid: leg.uuid }, 'inbound call for no running task');
    await session.hangup('NO_ROUTE_DESTINATION');
    return null;
  }
  // Before anything is set on the channel: the owner routes it again and must see it as it came.
  if (await handedOff(d, session, leg, route.projectCode, h)) return null;
  // On the channel too, so the CDR names the task (cdr.ts reads cc_* variables).
  await session.api(FsCommand.setvar(leg.uuid, 'cc_task', route.taskCode));
  await session.api(FsCommand.setvar(leg.uuid, 'cc_project', route.projectCode));
  const task = await d.services.taskInfo(route.taskCode);
  return {
    ...leg,
    taskCode: route.taskCode,
    projectCode: route.projectCode,
    gatewayCode: leg.gatewayCode || route.gatewayCode,
    evaluation: task?.evaluation ?? false,
    voiceFile: task?.voiceFile,
  };
}

/** The agent's own leg becomes an agent-first call to the number it dialled, or hears the unavailable tone. */
async function routeAgentCall(
  d: RoutingDeps,
  session: OutboundSession,
  leg: LegInfo,
  h: Record<string, string>,
): Promise<LegInfo | null> {
  const number = h['Caller-Destination-Number'] ?? '';
  const r = (await d.services.routeAgentCall?.(leg.callerIdNumber, number)) ?? {
    ok: false as const,
    reason: 'agents cannot dial out here',
  };
  if (!r.ok) {
    d.metrics.inc('calls.agent_calls_refused');
    d.log.warn({ agent: leg.callerIdNumber, number, reason: r.reason }, 'agent call refused');
    // resume: the dialplan's fallback after the socket answers and plays cc_unavailable_media.
    await session.resume();
    await session.exit();
    return null;
  }
  const { route } = r;
  await session.api(FsCommand.setvar(leg.uuid, 'cc_call_id', route.callId));
  await session.api(FsCommand.setvar(leg.uuid, 'cc_project', route.projectCode));
  return {
    ...leg,
    flow: 'agent-first',
    // Not answered here: the bridge answers the agent's leg when the customer answers, and until then the agent
    // hears the carrier's ringback.
    answered: true,
    callId: route.callId,
    projectCode: route.projectCode,
    destinationNumber: number,
    agent: leg.callerIdNumber,
    gatewayCode: route.gatewayCode,
    customerDial: route.customerDial,
    customerCallerId: route.customerCallerId,
  };
}
