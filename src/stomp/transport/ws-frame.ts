// A server's WebSocket text message as bytes (RFC 6455 §5.2: FIN, opcode 1 = text, no mask, no extension bits), so
// that a publish frames its MESSAGE once and writes the same bytes to every socket. Server frames are never masked,
// so nothing in them depends on the socket; the length encoding is ws's (Sender.frame): 7 bits up to 125 bytes,
// 16 bits up to 65,535, 64 bits beyond. The test holds it to ws's own output byte for byte.

/** The last payload framed and its frame: a publish hands the same payload to every session in a row. */
let lastPayload: Buffer | undefined;
let lastFrame: Buffer | undefined;

/** `payload` (UTF-8 text, never changed afterwards) as one unmasked, final text frame. */
export function textFrame(payload: Buffer): Buffer {
  if (payload === lastPayload && lastFrame) return lastFrame;
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
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
  payload.copy(frame, head);
  lastPayload = payload;
  lastFrame = frame;
  return frame;
}
