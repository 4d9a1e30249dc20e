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

/** `line` followed by headers and optional body; throws RangeError on a line break (a caller's bug). */
export function encodeCommand(
  line: string,
  headers: Readonly<Record<string, string>> = {},
  body?: string,
): Buffer {
  assertLine(line);
  let text = `${line}\n`;
  for (const [name, value] of Object.entries(headers)) {
    assertLine(name);
    assertLine(value);
    text += `${name}: ${value}\n`;
  }
  if (body === undefined) return Buffer.from(`${text}\n`);
  const bytes = Buffer.from(body);
  const head = Buffer.from(`${text}content-type: text/plain\ncontent-length: ${bytes.length}\n\n`);
  return Buffer.concat([head, bytes]);
}

export const encodeAuth = (password: string): Buffer => encodeCommand(`auth ${password}`);
export const encodeApi = (command: string): Buffer => encodeCommand(`api ${command}`);

/** mod_event_socket uses a Job-UUID header on bgapi instead of inventing one, so we know it before sending. */
export const encodeBgapi = (command: string, jobUuid: string): Buffer =>
  encodeCommand(`bgapi ${command}`, { 'Job-UUID': jobUuid });

export const encodeSendmsg = (input: SendmsgInput): Buffer =>
  encodeCommand(input.uuid ? `sendmsg ${input.uuid}` : 'sendmsg', input.headers, input.body);

/** An app argument with a line break cannot be a header, so it travels as the body (FreeSWITCH reads it there). */
export function encodeExecute(input: ExecuteInput): Buffer {
  const headers: Record<string, string> = { 'call-command': 'execute', 'execute-app-name': input.app };
  const argAsBody = input.arg !== undefined && lineProblem(input.arg) !== undefined;
  if (input.arg !== undefined && !argAsBody) headers['execute-app-arg'] = input.arg;
  if (input.loops !== undefined) headers.loops = String(input.loops);
  if (input.eventLock) headers['event-lock'] = 'true';
  // Spelled as the captured, known-good sendmsg spells it (FreeSWITCH reads headers case-insensitively).
  headers['event-uuid'] = input.eventUuid;
  return encodeSendmsg({
    ...(input.uuid ? { uuid: input.uuid } : {}),
    headers,
    ...(argAsBody ? { body: input.arg } : {}),
  });
}

export const encodeHangup = (cause = 'NORMAL_CLEARING', uuid?: string): Buffer =>
  encodeSendmsg({ ...(uuid ? { uuid } : {}), headers: { 'call-command': 'hangup', 'hangup-cause': cause } });
