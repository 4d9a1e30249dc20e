// Heart-beat timers for one session, on the injected Clock. Each direction reschedules itself to the moment it
// could next be due (last activity + interval), so a busy connection costs one timer per interval, not per frame.
import type { Clock, TimerHandle } from '../core/clock.js';

interface HeartbeatLine {
  sentAt(): number;
  receivedAt(): number;
  /** Send one EOL. */
  beat(): void;
  /** Nothing arrived for incoming × grace: the peer is gone. */
  silent(): void;
}

export function startHeartbeats(
  clock: Clock,
  intervals: { outgoingMs: number; incomingMs: number; grace: number },
  line: HeartbeatLine,
): TimerHandle {
  let out: TimerHandle | null = null;
  let inc: TimerHandle | null = null;
  let stopped = false;
  const { outgoingMs, incomingMs, grace } = intervals;
  if (outgoingMs > 0) {
    const beat = (): void => {
      if (stopped) return;
      const wait = line.sentAt() + outgoingMs - clock.now();
      if (wait <= 0) line.beat();
      out = clock.setTimer(wait <= 0 ? outgoingMs : wait, beat);
    };
    out = clock.setTimer(outgoingMs, beat);
  }
  if (incomingMs > 0) {
    const limit = incomingMs * grace;
    const check = (): void => {
      if (stopped) return;
      const wait = line.receivedAt() + limit - clock.now();
      if (wait > 0) inc = clock.setTimer(wait, check);
      else line.silent();
    };
    inc = clock.setTimer(limit, check);
  }
  return {
    cancel() {
      stopped = true;
      out?.cancel();
      inc?.cancel();
    },
  };
}
