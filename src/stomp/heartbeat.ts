// Heart-beats for all of a broker's sessions, on the injected Clock, without timers of their own. The sessions that
// share an interval (one per direction, and nearly every client asks for the same) stand in one line-up ordered by
// their last activity in that direction: a Set keeps insertion order, and activity moves a session to the back. One
// timer waits for the front of each line-up. A session is beaten, or found silent, at the very moment a timer of its
// own would have fired (last activity + interval); an idle session holds two Set entries instead of two timers and
// the closures around them, and nothing is allocated per beat (issue 21: heart-beats were a fifth of an idle session).
import type { Clock, TimerHandle } from '../core/clock.js';

/** One direction of a session's heart-beat, as a line-up sees it. */
export interface HeartbeatParty {
  sentAt(): number;
  receivedAt(): number;
  /** Send one EOL (and so move to the back of the outgoing line-up). */
  beat(): void;
  /** Nothing arrived within the incoming limit: the peer is gone (the session ends and leaves its line-ups). */
  silent(): void;
}

type Direction = 'outgoing' | 'incoming';

export class Lineup {
  private readonly members = new Set<HeartbeatParty>();
  private timer: TimerHandle | undefined;
  /** While the due ones are handled, the timer is set once at the end, for whoever is in front then. */
  private firing = false;

  constructor(
    private readonly clock: Clock,
    private readonly direction: Direction,
    /** Outgoing: the interval; incoming: the interval × grace. */
    private readonly limitMs: number,
  ) {}

  /** Joins at the back (its activity is now); also what activity does. */
  touch(party: HeartbeatParty): void {
    this.members.delete(party);
    this.members.add(party);
    // A timer set for an earlier front stays: it finds the new front not yet due and waits again.
    if (this.timer === undefined && !this.firing) this.arm(this.limitMs);
  }

  leave(party: HeartbeatParty): void {
    this.members.delete(party);
    if (this.members.size === 0) {
      this.timer?.cancel();
      this.timer = undefined;
    }
  }

  private last(party: HeartbeatParty): number {
    return this.direction === 'outgoing' ? party.sentAt() : party.receivedAt();
  }

  private arm(ms: number): void {
    this.timer = this.clock.setTimer(ms, () => this.due());
  }

  private due(): void {
    this.timer = undefined;
    this.firing = true;
    const now = this.clock.now();
    // Those due first, then act: beating moves a party to the back, and a Set's iteration would meet it again.
    const due: HeartbeatParty[] = [];
    for (const party of this.members) {
      if (this.last(party) + this.limitMs > now) break;
      due.push(party);
    }
    try {
      for (const party of due) {
        // Whatever happens to it (a beat, or the end of its session), it is not due again before limitMs.
        this.touch(party);
        if (this.direction === 'outgoing') party.beat();
        else party.silent();
      }
    } finally {
      this.firing = false;
      const front = this.members.values().next();
      if (!front.done) this.arm(Math.max(1, this.last(front.value) + this.limitMs - now));
    }
  }
}

/** A broker's line-ups, one per direction and interval. */
export class Heartbeats {
  private readonly lineups = new Map<string, Lineup>();

  constructor(private readonly clock: Clock) {}

  lineup(direction: Direction, limitMs: number): Lineup {
    const key = `${direction}:${limitMs}`;
    let lineup = this.lineups.get(key);
    if (lineup === undefined) this.lineups.set(key, (lineup = new Lineup(this.clock, direction, limitMs)));
    return lineup;
  }
}
