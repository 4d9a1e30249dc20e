// CHANNEL_HANGUP_COMPLETE of the legs we run, and the few hang-up headers a leg's outcome reads.
/** The hang-up headers the outcome reads (only these are kept: a hang-up event has ~200). */
export type HangupHeaders = Partial<Record<(typeof HANGUP_HEADERS)[number], string>>;
const HANGUP_HEADERS = [
  'Hangup-Cause',
  'variable_sip_term_status',
  'variable_sip_hangup_disposition',
  'variable_RECORD_DISCARDED',
] as const;

export function hangupHeadersOf(h: Record<string, string>): HangupHeaders {
  const out: HangupHeaders = {};
  for (const name of HANGUP_HEADERS) {
    const value = h[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** How long a finished customer leg waits for CHANNEL_HANGUP_COMPLETE before its outcome is stored anyway. */
export const HANGUP_COMPLETE_WAIT_MS = 3000;

/**
 * CHANNEL_HANGUP_COMPLETE of the legs we run, as the node's inbound link sees it. A leg's own socket does not
 * always deliver it: a leg moved out of the socket app (uuid_bridge to an off-hook agent) loses its socket
 * before FreeSWITCH reports, and only that event says who hung up (sip_hangup_disposition).
 */
export class HangupCompletions {
  private readonly tracked = new Set<string>();
  private readonly seen = new Map<string, Record<string, string>>();
  private readonly waiters = new Map<string, (headers: Record<string, string>) => void>();

  track(uuid: string): void {
    this.tracked.add(uuid);
  }

  deliver(uuid: string, headers: Record<string, string>): void {
    const waiter = this.waiters.get(uuid);
    if (waiter) {
      this.forget(uuid);
      waiter(headers);
    } else if (this.tracked.has(uuid)) this.seen.set(uuid, headers);
  }

  /** Calls back with the event, at once if it already came. */
  wait(uuid: string, then: (headers: Record<string, string>) => void): void {
    const seen = this.seen.get(uuid);
    if (seen) {
      this.forget(uuid);
      then(seen);
    } else this.waiters.set(uuid, then);
  }

  forget(uuid: string): void {
    this.tracked.delete(uuid);
    this.seen.delete(uuid);
    this.waiters.delete(uuid);
  }
}
