// Expected failures of ESL operations, as values (style.md §4).

export type EslErrorKind =
  /** No answer within the wait's time limit. */
  | 'timeout'
  /** The caller's AbortSignal fired. */
  | 'aborted'
  /** The connection closed (or was never open) before the answer came. */
  | 'closed'
  /** FreeSWITCH answered -ERR (Reply-Text, api body or BACKGROUND_JOB body). */
  | 'err'
  /** The channel hung up before the application could complete. */
  | 'hangup'
  /** The input cannot be sent (a line break in a command line or header). */
  | 'invalid';

export interface EslError {
  readonly kind: EslErrorKind;
  readonly text: string;
}

export type EslResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: EslError };

export const ok = <T>(value: T): EslResult<T> => ({ ok: true, value });
export const fail = <T = never>(kind: EslErrorKind, text: string): EslResult<T> => ({
  ok: false,
  error: { kind, text },
});

/** Options every wait accepts. */
export interface WaitOptions {
  /** Overrides the connection's default time limit for this wait. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}
