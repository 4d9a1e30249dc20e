// mod_conference, reduced to membership: conference::maintenance events and the `conference` api listings.
import { randomUUID } from 'node:crypto';
import type { Channel } from './channel.js';
import type { AppRun, Switch } from './switch.js';
import type { Headers } from './wire.js';

interface Member {
  id: number;
  ch: Channel;
  muted: boolean;
}

export interface Room {
  name: string;
  uuid: string;
  members: Map<number, Member>;
  nextId: number;
  createdAt: number;
}

export class Conferences {
  readonly rooms = new Map<string, Room>();

  constructor(private readonly sw: Switch) {}

  private roomHeaders(room: Room): Headers {
    return [
      ['Conference-Name', room.name],
      ['Conference-Domain', '127.0.0.1'],
      ['Conference-Size', String(room.members.size)],
      ['Conference-Ghosts', '0'],
      ['Conference-Profile-Name', 'default'],
      ['Conference-Unique-ID', room.uuid],
    ];
  }

  private memberEvent(room: Room, m: Member, action: string): void {
    this.sw.publish('CUSTOM', {
      subclass: 'conference::maintenance',
      channel: m.ch,
      vars: false,
      pre: [...this.roomHeaders(room), ['Floor', 'false']],
      post: [
        ['Video', 'false'],
        ['Hear', 'true'],
        ['See', 'true'],
        ['Speak', String(!m.muted)],
        ['Talking', 'false'],
        ['Mute-Detect', 'false'],
        ['Hold', 'false'],
        ['Member-ID', String(m.id)],
        ['Member-Type', 'member'],
        ['Member-Ghost', 'false'],
        ['Energy-Level', '100'],
        ['Current-Energy', '0'],
        ['Action', action],
      ],
    });
  }

  private roomEvent(room: Room, action: string): void {
    this.sw.publish('CUSTOM', {
      subclass: 'conference::maintenance',
      pre: [...this.roomHeaders(room), ['Action', action]],
      calling:
        action === 'conference-create'
          ? ['mod_conference.c', 'conference_new', 3848]
          : ['mod_conference.c', 'conference_thread_run', 863],
    });
  }

  join(ch: Channel, name: string): AppRun {
    let room = this.rooms.get(name);
    if (!room) {
      room = { name, uuid: randomUUID(), members: new Map(), nextId: 1, createdAt: Date.now() };
      this.rooms.set(name, room);
      this.roomEvent(room, 'conference-create');
    }
    const member: Member = { id: room.nextId++, ch, muted: false };
    room.members.set(member.id, member);
    ch.conference = name;
    this.memberEvent(room, member, 'add-member');
    const r = room;
    return {
      stop: () => {
        if (!r.members.delete(member.id)) return;
        ch.conference = undefined;
        this.memberEvent(r, member, 'del-member');
        if (r.members.size === 0) {
          this.rooms.delete(r.name);
          this.roomEvent(r, 'conference-destroy');
        }
      },
    };
  }

  /** `conference NAME list` rows: id;name;uuid;cid name;cid number;flags;0;0;100 (newest first). */
  listRows(room: Room): string {
    return [...room.members.values()]
      .reverse()
      .map(
        (m) =>
          `${m.id};${m.ch.name};${m.ch.uuid};${m.ch.profile.callerIdName};${m.ch.profile.callerIdNumber};hear|${m.muted ? '' : 'speak|'}talking;0;0;100\n`,
      )
      .join('');
  }

  /** `conference ...` api: list, count, kick, hup, mute, unmute. */
  api(args: string[], hangup: (ch: Channel, cause: string) => void): string {
    if (args.length === 0 || args[0] === 'list') {
      return [...this.rooms.values()]
        .map(
          (room) =>
            `+OK Conference ${room.name} (${room.members.size} member${room.members.size === 1 ? '' : 's'} rate: 8000 flags: running|answered|dynamic)\n${this.listRows(room)}`,
        )
        .join('');
    }
    const room = this.rooms.get(args[0]!);
    if (!room) return `-ERR Conference ${args[0]} not found\n`;
    const [cmd, target] = [args[1], args[2]];
    const pick = (): Member[] =>
      target === 'all'
        ? [...room.members.values()].reverse()
        : [room.members.get(Number(target))].filter((m): m is Member => !!m);
    switch (cmd) {
      case 'list':
        return this.listRows(room);
      case 'count':
        return String(room.members.size);
      case 'kick':
      case 'hup': {
        const members = pick();
        if (members.length === 0) return `-ERR Non-Existant ID ${target}\n`;
        const out = members.map((m) => `+OK ${cmd} ${m.id}\n`).join('');
        for (const m of members) hangup(m.ch, 'NORMAL_CLEARING');
        return out;
      }
      case 'mute':
      case 'unmute': {
        const members = pick();
        if (members.length === 0) return `-ERR Non-Existant ID ${target}\n`;
        for (const m of members) {
          m.muted = cmd === 'mute';
          this.memberEvent(room, m, `${cmd}-member`);
        }
        return members.map((m) => `+OK ${cmd} ${m.id}\n`).join('');
      }
      default:
        return `-ERR Unknown conference command ${cmd ?? ''}\n`;
    }
  }
}
