// A server's WebSocket text message as bytes (RFC 6455 §5.2: FIN, opcode 1 = text, no mask, no extension bits), so
// that a publish frames its MESSAGE once and writes the same bytes to every socket. Server frames are never masked,
// so nothing in them depends on the socket; the length encoding is ws's (Sender.frame): 7 bits up to 125 bytes,
// 16 bits up to 65,535, 64 bits beyond. The test holds it to ws's own output byte for byte.

/** The last payload framed and its frame: a publish hands the same payload to every session in a row. */
let lastPayload: Buffer | undefined;
let lastFrame: Buffer | undefined;

/** The length of a frame header for `n` payload bytes. */
const headLength = (n: number): number => (n < 126 ? 2 : n < 65_536 ? 4 : 10);

/** A frame for `n` payload bytes with its header written; the payload goes at headLength(n). */
function frameFor(n: number): Buffer {
  const head = headLength(n);
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x81;
  if (head === 2) frame[1] = n;
  else if (head === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  return frame;
}

/** `payload` (UTF-8 text, never changed afterwards) as one unmasked, final text frame. */
export function textFrame(payload: Buffer): Buffer {
  if (payload === lastPayload && lastFrame) return lastFrame;
  const frame = frameFor(payload.length);
  payload.copy(frame, headLength(payload.length));
  lastPayload = payload;
  lastFrame = frame;
  return frame;
}

/**
 * `text` as one text frame, encoded straight into it: for a session's own frames (CONNECTED, RECEIPT, ERROR,
 * heart-beats), where ws's send made a Buffer of the text, a header Buffer, a list of both and two writes.
 */
export function textFrameOf(text: string): Buffer {
  const n = Buffer.byteLength(text, 'utf8');
  const frame = frameFor(n);
  frame.write(text, headLength(n), 'utf8');
  return frame;
}
