// What a supervisor leg is, written on the leg itself (channel variable cc_sup) when we originate it, so that a
// restarted server can read it back from FreeSWITCH (uuid_getvar) and rebuild its listeners, conferences and
// manager↔agent calls (issue 14.5). Pure: imports nothing.

export const SUP_VAR = 'cc_sup';

export type SupTag =
  | { kind: 'eavesdrop'; listener: string; agent: string; project: string; requester: string }
  | { kind: 'conference'; room: string; project: string; manager: string; member: string; requester: string }
  | {
      kind: 'pm';
      callId: string;
      agentLeg: string;
      manager: string;
      agent: string;
      project: string;
      requester: string;
    };

type Kind = SupTag['kind'];

/** The fields of each kind, in the order they are written. */
const FIELDS: { [K in Kind]: readonly Exclude<keyof Extract<SupTag, { kind: K }>, 'kind'>[] } = {
  eavesdrop: ['listener', 'agent', 'project', 'requester'],
  conference: ['room', 'project', 'manager', 'member', 'requester'],
  pm: ['callId', 'agentLeg', 'manager', 'agent', 'project', 'requester'],
};

/**
 * `kind:field:field…`, each field URI-encoded: the value then holds no comma, space, brace or colon of its own, so
 * it travels in an originate's `{…}` block unchanged.
 */
export function supTag(tag: SupTag): string {
  const fields = FIELDS[tag.kind] as readonly string[];
  const values = tag as unknown as Record<string, string>;
  return [tag.kind, ...fields.map((f) => encodeURIComponent(values[f] ?? ''))].join(':');
}

/** The tag read back from a leg; undefined for anything that is not a well-formed tag of ours. */
export function parseSupTag(text: string): SupTag | undefined {
  const [kind, ...parts] = text.trim().split(':');
  if (kind !== 'eavesdrop' && kind !== 'conference' && kind !== 'pm') return undefined;
  const fields = FIELDS[kind] as readonly string[];
  if (parts.length !== fields.length) return undefined;
  const out: Record<string, string> = { kind };
  for (const [i, f] of fields.entries()) {
    let v: string;
    try {
      v = decodeURIComponent(parts[i] ?? '');
    } catch {
      return undefined;
    }
    if (!v) return undefined;
    out[f] = v;
  }
  return out as unknown as SupTag;
}
