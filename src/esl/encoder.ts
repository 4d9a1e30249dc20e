// Pure encoding of what a client sends: a command line, optional headers, optional body, then a blank line.
// Header values and command lines travel on one line each, so a newline inside them would forge a second
// command; `lineProblem` lets callers refuse such input as a value before anything is encoded.

export interface SendmsgInput {
  /** Target channel; omitted on an outbound socket, where sendmsg addresses the socket's own channel. */
  readonly uuid?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Sent with content-type text/plain and a content-length counted in bytes. */
  readonly body?: string;
}

interface ExecuteInput {
  readonly uuid?: string;
  readonly app: string;
  readonly arg?: string;
  /** Our own id; FreeSWITCH echoes it as Application-UUID on CHANNEL_EXECUTE / CHANNEL_EXECUTE_COMPLETE. */
  readonly eventUuid: string;
  /** Queue the app behind the ones already running instead of running them side by side (async sockets). */
  readonly eventLock?: boolean;
  readonly loops?: number;
}

/** Why a string cannot go on the wire as a command line or header value, or undefined when it can. */
export function lineProblem(value: string): string | undefined {
  if (/[\r\n]/.test(value)) return 'contains a line break';
  return undefined;
}

function assertLine(value: string): void {
  const problem = lineProblem(value);
  if (problem) throw new RangeError(`ESL line ${JSON.stringify(value.slice(0, 60))} ${problem}`);
}

/**
 * `line` followed by headers and optional body, as the text that goes on the wire; throws RangeError on a line break
 * (a caller's bug). The connection writes this text to the socket as it is: Node encodes a string straight into the
 * kernel's buffer, where a Buffer per command was one more allocation (issue 21).
 */
export function commandText(
  line: string,
  headers: Readonly<Record<string, string>> = {},
  body?: string,
): string {
  assertLine(line);
  let text = `${line}\n`;
  for (const name of Object.keys(headers)) {
    const value = headers[name]!;
    assertLine(name);
    assertLine(value);
    text += `${name}: ${value}\n`;
  }
  return withBody(text, body);
}

/** The blank line that ends the headers, or the body's headers, the blank line and the body. */
function withBody(text: string, body: string | undefined): string {
  if (body === undefined) return `${text}\n`;
  return `${text}content-type: text/plain\ncontent-length: ${Buffer.byteLength(body)}\n\n${body}`;
}

/** `line` followed by headers and optional body; throws RangeError on a line break (a caller's bug). */
export const encodeCommand = (
  line: string,
  headers: Readonly<Record<string, string>> = {},
  body?: string,
): Buffer => Buffer.from(commandText(line, headers, body));

export const encodeAuth = (password: string): Buffer => encodeCommand(`auth ${password}`);
export const encodeApi = (command: string): Buffer => encodeCommand(`api ${command}`);

/** mod_event_socket uses a Job-UUID header on bgapi instead of inventing one, so we know it before sending. */
export const bgapiText = (command: string, jobUuid: string): string =>
  commandText(`bgapi ${command}`, { 'Job-UUID': jobUuid });
export const encodeBgapi = (command: string, jobUuid: string): Buffer =>
  Buffer.from(bgapiText(command, jobUuid));

export const sendmsgText = (input: SendmsgInput): string =>
  commandText(input.uuid ? `sendmsg ${input.uuid}` : 'sendmsg', input.headers, input.body);
export const encodeSendmsg = (input: SendmsgInput): Buffer => Buffer.from(sendmsgText(input));

/**
 * An app argument with a line break cannot be a header, so it travels as the body (FreeSWITCH reads it there).
 * Written straight as text, in the order the captured, known-good sendmsg has (FreeSWITCH reads headers
 * case-insensitively), rather than through a header object per execute.
 */
export function executeText(input: ExecuteInput): string {
  if (input.uuid !== undefined) assertLine(input.uuid);
  assertLine(input.app);
  assertLine(input.eventUuid);
  const argAsBody = input.arg !== undefined && lineProblem(input.arg) !== undefined;
  let text = input.uuid ? `sendmsg ${input.uuid}\n` : 'sendmsg\n';
  text += `call-command: execute\nexecute-app-name: ${input.app}\n`;
  if (input.arg !== undefined && !argAsBody) text += `execute-app-arg: ${input.arg}\n`;
  if (input.loops !== undefined) text += `loops: ${input.loops}\n`;
  if (input.eventLock) text += 'event-lock: true\n';
  text += `event-uuid: ${input.eventUuid}\n`;
  return withBody(text, argAsBody ? input.arg : undefined);
}
export const encodeExecute = (input: ExecuteInput): Buffer => Buffer.from(executeText(input));

export const hangupText = (cause = 'NORMAL_CLEARING', uuid?: string): string =>
  sendmsgText({ ...(uuid ? { uuid } : {}), headers: { 'call-command': 'hangup', 'hangup-cause': cause } });
export const encodeHangup = (cause = 'NORMAL_CLEARING', uuid?: string): Buffer =>
  Buffer.from(hangupText(cause, uuid));
