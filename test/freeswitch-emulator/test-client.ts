// A minimal ESL client for the emulator's own tests and the contract suite: frames in, commands out.
import { connect } from 'node:net';
import type { Socket } from 'node:net';

export interface Frame {
  headers: [string, string][];
  body: string;
  /** Decoded event headers when the frame is text/event-plain or text/event-json. */
  event?: Record<string, string>;
  eventOrder?: string[];
}

export const get = (f: Frame, name: string): string | undefined => f.headers.find(([k]) => k === name)?.[1];

export function parseFrames(buffer: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let pos = 0;
  for (;;) {
    const end = buffer.indexOf('\n\n', pos);
    if (end < 0) break;
    const headers = buffer
      .subarray(pos, end)
      .toString('utf8')
      .split('\n')
      .map((l) => {
        const i = l.indexOf(': ');
        return [l.slice(0, i), l.slice(i + 2)] as [string, string];
      });
    const length = Number(headers.find(([k]) => k === 'Content-Length')?.[1] ?? 0);
    if (buffer.length < end + 2 + length) break;
    const body = buffer.subarray(end + 2, end + 2 + length).toString('utf8');
    pos = end + 2 + length;
    const frame: Frame = { headers, body };
    const type = get(frame, 'Content-Type');
    if (type === 'text/event-plain') {
      const lines = body
        .slice(0, body.indexOf('\n\n') < 0 ? undefined : body.indexOf('\n\n'))
        .split('\n')
        .filter(Boolean);
      frame.eventOrder = lines.map((l) => l.slice(0, l.indexOf(': ')));
      // First occurrence wins: COMMAND events carry a second Event-Name (PRIVATE_COMMAND) further down.
      frame.event = {};
      for (const l of lines) {
        const key = l.slice(0, l.indexOf(': '));
        if (!(key in frame.event)) frame.event[key] = decodeURIComponent(l.slice(l.indexOf(': ') + 2));
      }
      const inner = body.indexOf('\n\n');
      if (inner >= 0 && frame.event['Content-Length']) frame.event._body = body.slice(inner + 2);
    } else if (type === 'text/event-json') {
      const object = JSON.parse(body) as Record<string, string>;
      frame.event = object;
      frame.eventOrder = Object.keys(object);
    }
    frames.push(frame);
  }
  return { frames, rest: buffer.subarray(pos) };
}

export class TestClient {
  readonly frames: Frame[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  private cursor = 0;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      const { frames, rest } = parseFrames(Buffer.concat([this.buffer, chunk]));
      this.buffer = rest;
      this.frames.push(...frames);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  static connect(port: number, host = '127.0.0.1'): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => resolve(new TestClient(socket)));
      socket.once('error', reject);
    });
  }

  static wrap(socket: Socket): TestClient {
    return new TestClient(socket);
  }

  send(text: string): void {
    this.socket.write(text.endsWith('\n\n') ? text : text + '\n\n');
  }

  /** The next frame (after those already taken) matching pred; earlier non-matching frames are skipped. */
  async next(pred: (f: Frame) => boolean = () => true, timeoutMs = 5000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.cursor; i < this.frames.length; i++) {
        if (pred(this.frames[i]!)) {
          this.cursor = i + 1;
          return this.frames[i]!;
        }
      }
      this.cursor = this.frames.length;
      if (this.closed) throw new Error('connection closed while waiting for a frame');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a frame');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Like next() but searches every frame received so far, without moving the cursor. */
  async find(pred: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.frames.find(pred);
      if (hit) return hit;
      if (this.closed) throw new Error('connection closed while waiting for a frame');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a frame');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async reply(text: string): Promise<Frame> {
    this.send(text);
    return this.next((f) => ['command/reply', 'api/response'].includes(get(f, 'Content-Type') ?? ''));
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for close');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

export const isEvent = (name: string, uuid?: string) => (f: Frame) =>
  f.event?.['Event-Name'] === name && (uuid === undefined || f.event?.['Unique-ID'] === uuid);
