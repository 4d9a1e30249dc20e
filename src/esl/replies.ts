// How FreeSWITCH's answers map to results. Kept apart from the connection so the rules read in one place.
import { urlDecode, type EslFrame, type Headers } from './frame.js';
import type { EslEvent } from './event.js';
import { fail, ok, type EslResult } from './result.js';

export interface Reply {
  /** Reply-Text of a command/reply (decoded), or the body of an api/response. */
  readonly text: string;
  readonly headers: Headers;
  readonly body: string;
}

export interface JobResult {
  readonly jobUuid: string;
  /** BACKGROUND_JOB's body without the leading "+OK" (for originate: the new channel's uuid). */
  readonly text: string;
  readonly body: string;
}

export interface ExecuteResult {
  /** Application-Response of CHANNEL_EXECUTE_COMPLETE (`_none_`, `FILE PLAYED`, `PLAYBACK ERROR`...). */
  readonly response: string;
  readonly event: EslEvent;
}

const ERR = /^-ERR\s*/;
const OK = /^\+OK\s*/;

function replyText(frame: EslFrame): string {
  const raw = frame.headers['Reply-Text'];
  if (raw === undefined) return frame.body;
  // The outbound `connect` reply is a serialized event (it has Event-Name), so even Reply-Text is URL-encoded.
  return frame.headers['Event-Name'] !== undefined ? urlDecode(raw) : raw;
}

/** command/reply and api/response: "-ERR ..." is a failure whose text is what follows the marker. */
export function toReply(frame: EslFrame): EslResult<Reply> {
  const text = replyText(frame);
  if (ERR.test(text)) return fail('err', text.replace(ERR, '').trim());
  return ok({ text, headers: frame.headers, body: frame.body });
}

export function toJobResult(jobUuid: string, event: EslEvent): EslResult<JobResult> {
  const body = event.body ?? '';
  if (ERR.test(body)) return fail('err', body.replace(ERR, '').trim());
  return ok({ jobUuid, text: body.replace(OK, '').trim(), body });
}

export function toExecuteResult(event: EslEvent): EslResult<ExecuteResult> {
  return ok({ response: event.headers['Application-Response'] ?? '', event });
}
