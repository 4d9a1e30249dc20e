// Which events a connection receives: `event` names (ALL, CUSTOM subclasses), `nixevent`, `noevents`,
// `filter` (any matching filter lets an event through) and `myevents` (one leg only).
import type { EmulatorEvent } from './events.js';
import { jsonEvent, plainEvent } from './wire.js';

/**
 * What `myevents` subscribes to: a fixed list, not ALL (mod_event_socket.c, parse_command "myevents"). So the leg's
 * CHANNEL_CALLSTATE, CALL_UPDATE, CODEC, PLAYBACK_*, RECORD_*, MEDIA_BUG_* and CUSTOM events never reach it (the
 * live captures in test/fixtures/freeswitch-live show record_session without RECORD_START or MEDIA_BUG_START).
 * CHANNEL_DESTROY is listed but comes after the outbound socket's last event (see outbound.ts).
 */
export const MYEVENTS = [
  'CHANNEL_ANSWER',
  'CHANNEL_APPLICATION',
  'CHANNEL_BRIDGE',
  'CHANNEL_CREATE',
  'CHANNEL_DATA',
  'CHANNEL_DESTROY',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
  'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE',
  'CHANNEL_ORIGINATE',
  'CHANNEL_UUID',
  'CHANNEL_OUTGOING',
  'CHANNEL_PARK',
  'CHANNEL_PROGRESS',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_STATE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_UNPARK',
  'DETECTED_SPEECH',
  'DTMF',
  'NOTALK',
  'TALK',
];

export class Subscription {
  format: 'plain' | 'json' | 'xml' = 'plain';
  all = false;
  readonly names = new Set<string>();
  readonly subclasses = new Set<string>();
  readonly filters: [string, string][] = [];
  myUuid?: string;

  /** `event plain A B CUSTOM x::y` → reply text. */
  add(words: string[]): string {
    const format = words[0];
    if (format === 'plain' || format === 'json' || format === 'xml') {
      this.format = format;
      words = words.slice(1);
    }
    let custom = false;
    for (const w of words) {
      if (w === 'ALL') this.all = true;
      else if (w === 'CUSTOM') custom = true;
      else if (custom || w.includes('::')) this.subclasses.add(w);
      else this.names.add(w);
    }
    return `+OK event listener enabled ${this.format}`;
  }

  nix(words: string[]): string {
    for (const w of words) {
      if (w === 'ALL') {
        this.all = false;
        this.names.clear();
        this.subclasses.clear();
      } else {
        this.names.delete(w);
        this.subclasses.delete(w);
      }
    }
    return '+OK events nixed';
  }

  clear(): void {
    this.all = false;
    this.names.clear();
    this.subclasses.clear();
    this.myUuid = undefined;
  }

  get listening(): boolean {
    return this.all || this.names.size > 0 || this.subclasses.size > 0;
  }

  filter(args: string): string {
    const m = /^delete\s+(\S+)\s*(.*)$/.exec(args.trim());
    if (m) {
      const [, name, value] = m;
      if (name === 'all') this.filters.length = 0;
      for (let i = this.filters.length - 1; i >= 0; i--) {
        const [k, v] = this.filters[i]!;
        if (k === name && (!value || v === value)) this.filters.splice(i, 1);
      }
      return `+OK filter deleted. [${name}][${value}]`;
    }
    const text = args.trim();
    const i = text.indexOf(' ');
    if (i < 0) return '-ERR invalid syntax';
    const name = text.slice(0, i);
    const value = text.slice(i + 1).trim();
    this.filters.push([name, value]);
    return `+OK filter added. [${name}]=[${value}]`;
  }

  /** `myevents`: the fixed list above, for one leg only. */
  mine(uuid: string): void {
    for (const name of MYEVENTS) this.names.add(name);
    this.myUuid = uuid;
  }

  wants(event: EmulatorEvent): boolean {
    if (this.myUuid !== undefined && event.uuid !== this.myUuid) return false;
    const named =
      this.all ||
      (event.name === 'CUSTOM'
        ? event.subclass !== undefined && this.subclasses.has(event.subclass)
        : this.names.has(event.name));
    if (!named) return false;
    if (this.filters.length === 0) return true;
    return this.filters.some(([k, v]) => event.headers.some(([hk, hv]) => hk === k && hv === v));
  }

  encode(event: EmulatorEvent): Buffer {
    return this.format === 'json'
      ? jsonEvent(event.headers, event.body)
      : plainEvent(event.headers, event.body);
  }
}
