// Parsing of `originate` arguments and dial strings, as mod_commands and switch_ivr_originate read them.

export interface OriginateArgs {
  vars: [string, string][];
  dialString: string;
  /** `&app(args)` form, or the dialplan form `EXT [XML] [context]`. */
  target:
    { kind: 'app'; name: string; data: string } | { kind: 'dialplan'; extension: string; context: string };
  callerIdName?: string;
  callerIdNumber?: string;
  timeoutSec?: number;
}

export type Dial =
  | {
      kind: 'sofia';
      profile: string;
      number: string;
      host?: string;
      gateway?: string;
      channelName: string;
      url: string;
    }
  | { kind: 'user'; ext: string; domain: string }
  | { kind: 'loopback'; number: string; context: string }
  | { kind: 'error'; cause: string };

/**
 * Splits on spaces outside single quotes, which are removed, as mod_commands' switch_separate_string does. Braces
 * and parentheses do not group: an unquoted `&socket(127.0.0.1:8084 async full)` is cut at its first space, as the
 * real FreeSWITCH cuts it.
 */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = false;
  for (const ch of text.trim()) {
    if (ch === "'") {
      quote = !quote;
      continue;
    }
    if (ch === ' ' && !quote) {
      if (cur) out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** `{a=b,c=d}rest` → vars and rest; `^^:` custom separators are not supported. */
export function splitVarBlock(text: string): { vars: [string, string][]; rest: string } {
  const m = /^\{([^}]*)\}(.*)$/s.exec(text);
  if (!m) return { vars: [], rest: text };
  const vars: [string, string][] = [];
  for (const pair of m[1]!.split(/(?<!\\),/)) {
    const i = pair.indexOf('=');
    if (i > 0)
      vars.push([
        pair.slice(0, i).trim(),
        pair
          .slice(i + 1)
          .replace(/\\,/g, ',')
          .replace(/^'(.*)'$/, '$1'),
      ]);
  }
  return { vars, rest: m[2]! };
}

export function parseOriginate(argText: string): OriginateArgs | undefined {
  const args = splitArgs(argText);
  if (args.length < 2) return undefined;
  const { vars, rest } = splitVarBlock(args[0]!);
  const appArg = args[1]!;
  let target: OriginateArgs['target'];
  let extra: string[];
  if (appArg.startsWith('&')) {
    const m = /^&([\w-]+)(?:\((.*)\))?$/s.exec(appArg);
    if (!m) return undefined;
    target = { kind: 'app', name: m[1]!, data: m[2] ?? '' };
    extra = args.slice(2);
  } else {
    target = { kind: 'dialplan', extension: appArg, context: args[3] ?? 'default' };
    extra = args.slice(4);
  }
  const timeout = extra[2] !== undefined ? Number(extra[2]) : undefined;
  return {
    vars,
    dialString: rest,
    target,
    callerIdName: extra[0] && extra[0] !== 'undef' ? extra[0] : undefined,
    callerIdNumber: extra[1] && extra[1] !== 'undef' ? extra[1] : undefined,
    timeoutSec: timeout !== undefined && Number.isFinite(timeout) ? timeout : undefined,
  };
}

export function parseDial(dial: string): Dial {
  const parts = dial.split('/');
  const tech = parts[0];
  if (tech === 'sofia' && parts[1] === 'gateway' && parts.length >= 4) {
    const number = parts.slice(3).join('/');
    return {
      kind: 'sofia',
      profile: 'external',
      gateway: parts[2],
      number,
      channelName: `sofia/external/${number}`,
      url: `sip:${number}@gateway`,
    };
  }
  if (tech === 'sofia' && parts.length >= 3) {
    const target = parts.slice(2).join('/');
    const at = target.indexOf('@');
    const number = at < 0 ? target : target.slice(0, at);
    const host = at < 0 ? undefined : target.slice(at + 1);
    return {
      kind: 'sofia',
      profile: parts[1]!,
      number,
      host,
      channelName: `sofia/${parts[1]}/${target}`,
      url: `sip:${target}`,
    };
  }
  if (tech === 'user' && parts[1]) {
    const [ext, domain] = parts[1].split('@');
    return { kind: 'user', ext: ext!, domain: domain ?? '127.0.0.1' };
  }
  if (tech === 'loopback' && parts[1])
    return { kind: 'loopback', number: parts[1], context: parts[2] ?? 'default' };
  if (tech === 'error' && parts[1]) return { kind: 'error', cause: parts[1].toUpperCase() };
  // switch_ivr_originate: an endpoint that is not loaded fails the call with CHAN_NOT_IMPLEMENTED.
  return { kind: 'error', cause: 'CHAN_NOT_IMPLEMENTED' };
}
