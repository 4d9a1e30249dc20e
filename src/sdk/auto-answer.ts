/**
 * Whether an incoming INVITE asks to be answered without the agent's say. The server originates agent legs with
 * `sip_h_X-CC-Auto-Answer=true`, which FreeSWITCH sends as the header `X-CC-Auto-Answer: true`; desk phones and
 * other PBXs use `Call-Info: <uri>;answer-after=0` (RFC 7462 style, as Polycom/Yealink honour it).
 */
export type HeaderReader = (name: string) => string[];

export function asksAutoAnswer(headers: HeaderReader): boolean {
  if (headers('X-CC-Auto-Answer').some((v) => v.trim().toLowerCase() === 'true')) return true;
  return headers('Call-Info').some((v) => /;\s*answer-after\s*=\s*0+\s*(;|,|$)/i.test(v));
}
