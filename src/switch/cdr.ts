// mod_xml_cdr's record of one leg, read into what a call log needs. The document is what
// switch_ivr_generate_xml_cdr builds: <cdr core-uuid switchname> with <channel_data>, <variables> (every channel
// variable, its value url-encoded), <app_log>, optional <hold-record>, and one <callflow> per caller profile (newest
// first) holding <caller_profile> and <times> (microseconds). The parser below reads exactly that subset of XML:
// elements, attributes, text, entities, CDATA, comments and the prolog; no namespaces or DTDs (cdr-xml.ts).
import { ChannelVar, type LegRole } from '../core/codes.js';
import { child, parseXml, type Parsed } from './cdr-xml.js';

export { child, decodeEntities, parseXml, type Parsed, type XmlElement } from './cdr-xml.js';

/** One leg's facts, as the call log stores them (times in epoch ms, durations in seconds). */
export interface CdrLeg {
  uuid: string;
  /** cc_call_id: the call this leg belongs to; absent on legs we did not originate (agent registrations...). */
  callId: string | null;
  taskCode: string | null;
  projectCode: string | null;
  role: LegRole | null;
  flow: string | null;
  direction: 'inbound' | 'outbound';
  /** The number FreeSWITCH dialled (outbound leg) or was called on (inbound leg). */
  destinationNumber: string;
  callerIdNumber: string | null;
  /** user/<ext> legs: the extension that was rung (dialed_user). */
  dialedUser: string | null;
  /** Customer legs: the agent who talked with the customer (cc_agent, set by the flow when it connected one). */
  agent: string | null;
  startMs: number | null;
  answerMs: number | null;
  endMs: number | null;
  duration: number | null;
  billsec: number | null;
  hangupCause: string | null;
  sipTermStatus: string | null;
  hangupDisposition: string | null;
  recordFile: string | null;
  /** The sofia gateway the leg went through (its name is our gwCode). */
  gatewayCode: string | null;
  /** The leg was bridged to another (for a customer leg: an agent took it). */
  bridged: boolean;
  variables: Record<string, string>;
}

/** Channel variables that may hold the recording's path; cc_record_file is ours, the others FreeSWITCH's. */
const RECORD_FILE_VARS = ['cc_record_file', 'record_session_path', 'last_record_file'] as const;

/** switch_url_encode writes %XX; a malformed escape is kept as written rather than losing the whole record. */
function urlDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

const nonEmpty = (s: string | undefined): string | null => (s === undefined || s === '' ? null : s);
const int = (s: string | undefined): number | null => {
  if (s === undefined || !/^-?\d+$/.test(s.trim())) return null;
  return Number(s);
};

/** A timestamp from `<name>_uepoch` (µs), else `<name>_epoch` (s); 0 means "never" (e.g. an unanswered leg). */
function epochMs(v: Record<string, string>, name: string): number | null {
  const us = int(v[`${name}_uepoch`]);
  if (us !== null) return us > 0 ? Math.round(us / 1000) : null;
  const s = int(v[`${name}_epoch`]);
  return s !== null && s > 0 ? s * 1000 : null;
}

const ROLES: readonly string[] = ['customer', 'agent', 'manager'];

/** Reads a mod_xml_cdr document. Fails only when it is not XML or not a CDR (no <variables>, no uuid). */
export function parseCdr(xml: string): Parsed<CdrLeg> {
  const doc = parseXml(xml);
  if (!doc.ok) return doc;
  const cdr = doc.value;
  if (cdr.name !== 'cdr') return { ok: false, error: `root element is <${cdr.name}>, not <cdr>` };
  const vars = child(cdr, 'variables');
  if (!vars) return { ok: false, error: 'no <variables> in the CDR' };
  const v: Record<string, string> = {};
  // A multi-valued variable repeats its element; the last value is what the channel ended with.
  for (const el of vars.children) v[el.name] = urlDecode(el.text);
  const profile = child(child(cdr, 'callflow'), 'caller_profile');
  const fromProfile = (name: string) => nonEmpty(child(profile, name)?.text);
  const uuid =
    nonEmpty(v.uuid) ?? fromProfile('uuid') ?? nonEmpty(child(cdr, 'callflow')?.attrs['unique-id']);
  if (!uuid) return { ok: false, error: 'the CDR has no uuid' };
  const times = child(child(cdr, 'callflow'), 'times');
  const bridgedUs = int(child(times, 'bridged_time')?.text);
  const role = v[ChannelVar.role];
  const direction = nonEmpty(child(child(cdr, 'channel_data'), 'direction')?.text) ?? v.call_direction;
  const recordFile = RECORD_FILE_VARS.map((k) => nonEmpty(v[k])).find((x) => x !== null) ?? null;
  return {
    ok: true,
    value: {
      uuid,
      callId: nonEmpty(v[ChannelVar.callId]),
      taskCode: nonEmpty(v[ChannelVar.task]),
      projectCode: nonEmpty(v[ChannelVar.project]),
      role: role !== undefined && ROLES.includes(role) ? (role as LegRole) : null,
      flow: nonEmpty(v[ChannelVar.flow]),
      direction: direction === 'inbound' ? 'inbound' : 'outbound',
      destinationNumber:
        fromProfile('destination_number') ??
        nonEmpty(v.destination_number) ??
        nonEmpty(v.sip_to_user) ??
        nonEmpty(v.sip_req_user) ??
        '',
      callerIdNumber: fromProfile('caller_id_number') ?? nonEmpty(v.caller_id_number),
      dialedUser: nonEmpty(v.dialed_user),
      agent: nonEmpty(v.cc_agent),
      startMs: epochMs(v, 'start'),
      answerMs: epochMs(v, 'answer'),
      endMs: epochMs(v, 'end'),
      duration: int(v.duration),
      billsec: int(v.billsec),
      hangupCause: nonEmpty(v.hangup_cause),
      sipTermStatus: nonEmpty(v.sip_term_status),
      hangupDisposition: nonEmpty(v.sip_hangup_disposition),
      recordFile,
      gatewayCode: nonEmpty(v.sip_gateway_name) ?? nonEmpty(v.cc_gateway),
      bridged: nonEmpty(v.last_bridge_to) !== null || (bridgedUs !== null && bridgedUs > 0),
      variables: v,
    },
  };
}
