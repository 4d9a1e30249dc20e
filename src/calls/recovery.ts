// What a restart learns from FreeSWITCH, which keeps calls up while we are away (kill -9, an upgrade): agents still
// talking must not be offered another call, numbers still being dialled must not be dialled again, and customers
// left waiting for an agent by the process that died have nobody to connect them, so they are hung up (their CDR
// then settles the number and the call log).
import type { Clock } from '../core/clock.js';
import { FsCommand } from '../switch/fs-commands.js';

/** The columns of `show channels as json` we read. */
export interface ChannelRow {
  uuid: string;
  call_uuid?: string;
  name?: string;
  presence_id?: string;
  cid_num?: string;
  callee_num?: string;
}

interface RecoveryPlan {
  /** Agents with a live leg: busy until that leg's CHANNEL_HANGUP_COMPLETE. */
  busyAgents: { username: string; uuid: string; number: string }[];
  /** Customer legs of numbers still 'dialing' that no agent is bridged to. */
  orphans: string[];
  live: Set<string>;
}

/** The extension a leg belongs to: `user/EXT` legs carry presence_id EXT@domain; sofia names them EXT-0x…@ or EXT@. */
function extensionOf(row: ChannelRow, known: ReadonlySet<string>): string | undefined {
  const presence = row.presence_id?.split('@')[0];
  if (presence && known.has(presence)) return presence;
  const m = /^sofia\/[^/]+\/([^@/-]+)(?:-[^@]*)?@/.exec(row.name ?? '');
  return m && known.has(m[1]!) ? m[1] : undefined;
}

export function planRecovery(
  rows: ChannelRow[],
  agents: ReadonlySet<string>,
  dialing: ReadonlySet<string>,
): RecoveryPlan {
  const live = new Set(rows.map((r) => r.uuid));
  // Legs of one bridge share call_uuid (the A leg's uuid).
  const bridged = (uuid: string): boolean => {
    const row = rows.find((r) => r.uuid === uuid);
    return rows.some(
      (r) => r.uuid !== uuid && (r.call_uuid === uuid || (row?.call_uuid && r.call_uuid === row.call_uuid)),
    );
  };
  const busyAgents: RecoveryPlan['busyAgents'] = [];
  for (const row of rows) {
    const username = extensionOf(row, agents);
    if (username) busyAgents.push({ username, uuid: row.uuid, number: row.cid_num ?? row.callee_num ?? '' });
  }
  const orphans = [...dialing].filter((uuid) => live.has(uuid) && !bridged(uuid));
  return { busyAgents, orphans, live };
}

interface RecoveryDeps {
  agents: {
    all(): { username: string; nodeId: number }[];
    apply(
      username: string,
      e:
        | { kind: 'connected'; callId: string; destinationNumber: string; destinationUUID: string }
        | { kind: 'call-ended'; callId: string },
    ): { ok: boolean };
  };
  numbers: {
    dialing(): Promise<{ id: number; callUuid: string | null }[]>;
    recoverAtStartup(
      now: number,
      isCallLive: (uuid: string) => boolean,
      onlyIds?: ReadonlySet<number>,
    ): Promise<{ kept: unknown[]; closed: unknown[] }>;
  };
  nodes: { api(nodeId: number, command: string): Promise<unknown> };
  log: { warn(obj: object, msg: string): void };
  clock: Pick<Clock, 'now' | 'setTimer'>;
  activeNodes(): number[];
  /** Legs this process runs itself (after a reconnect of the event socket, not a restart). */
  knowsLeg(uuid: string): boolean;
  /** An off-hook agent's held leg that our flow runs: the agent holds it while idle, so it is no call. */
  isHeldLeg(uuid: string): boolean;
  /** Numbers this process is dialling itself. */
  dialerDials(numberId: number): boolean;
  /**
   * False in a cluster (issue 20): what is left 'dialing' belongs to projects other instances may be dialling now, so
   * numbers are recovered per project when it is taken (takeover.ts), not at start-up.
   */
  numbersAtStart?: boolean;
}

/**
 * An unknown leg is taken for a call a previous run left, and makes its agent busy at once (the dialer starts at
 * once and must offer that agent nothing). One kind of leg is no call: an off-hook agent's held leg that was being
 * set up when FreeSWITCH listed it. If our flow runs it this much later, the agent is freed again.
 */
export const UNKNOWN_LEG_GRACE_MS = 3000;

/**
 * Applies planRecovery after each (re)connect of a node: agents on live legs stay busy until those legs end; on the
 * first report of every active node, numbers left 'dialing' by a previous run are settled (live ones are kept for
 * their CDR, the rest closed) and orphaned waiting customers are hung up.
 */
export function callRecovery(d: RecoveryDeps) {
  const heldBy = new Map<string, string>();
  const reported = new Map<number, ChannelRow[]>();
  let numbersDone = d.numbersAtStart === false;
  // Only what a previous run left 'dialing' is recovered: the dialer starts at once, and its own numbers are not.
  let leftovers: { id: number; callUuid: string | null }[] | undefined;
  return {
    async channels(nodeId: number, rows: ChannelRow[]): Promise<void> {
      const names = new Set(
        d.agents
          .all()
          .filter((a) => a.nodeId === nodeId)
          .map((a) => a.username),
      );
      const plan = planRecovery(rows, names, new Set());
      const unknown = plan.busyAgents.filter((b) => !d.knowsLeg(b.uuid) && !heldBy.has(b.uuid));
      for (const b of unknown) {
        // Refused when the agent is already on a call of ours: only legs we did not know come back as busy.
        const r = d.agents.apply(b.username, {
          kind: 'connected',
          callId: b.uuid,
          destinationNumber: b.number,
          destinationUUID: b.uuid,
        });
        if (r.ok) heldBy.set(b.uuid, b.username);
      }
      const marked = unknown.filter((b) => heldBy.get(b.uuid) === b.username);
      if (marked.length) {
        d.log.warn(
          { nodeId, busyAgents: marked.length },
          'agents on calls FreeSWITCH kept while we were away are busy until those calls end',
        );
        d.clock.setTimer(UNKNOWN_LEG_GRACE_MS, () => {
          for (const b of marked) {
            if (heldBy.get(b.uuid) !== b.username || !d.isHeldLeg(b.uuid)) continue;
            heldBy.delete(b.uuid);
            d.agents.apply(b.username, { kind: 'call-ended', callId: b.uuid });
          }
        });
      }
      if (numbersDone) return;
      leftovers ??= (await d.numbers.dialing()).filter((n) => !d.dialerDials(n.id));
      reported.set(nodeId, rows);
      if (numbersDone || !d.activeNodes().every((id) => reported.has(id))) return;
      numbersDone = true;
      const all = [...reported.values()].flat();
      const calls = new Set(leftovers.flatMap((n) => (n.callUuid ? [n.callUuid] : [])));
      const orphans = planRecovery(all, new Set(), calls).orphans;
      for (const uuid of orphans) {
        const node = [...reported].find(([, r]) => r.some((row) => row.uuid === uuid))?.[0] ?? nodeId;
        void d.nodes.api(node, FsCommand.kill(uuid));
      }
      const live = new Set(all.map((r) => r.uuid));
      const { kept, closed } = await d.numbers.recoverAtStartup(
        d.clock.now(),
        (uuid) => live.has(uuid),
        new Set(leftovers.map((n) => n.id)),
      );
      if (kept.length || closed.length || orphans.length)
        d.log.warn(
          { kept: kept.length, closed: closed.length, hungUp: orphans.length },
          'calls left by the last run were recovered from FreeSWITCH',
        );
    },
    onNodeEvent(e: { name: string; headers: Record<string, string> }): void {
      if (e.name !== 'CHANNEL_HANGUP_COMPLETE') return;
      const uuid = e.headers['Unique-ID'] ?? '';
      const username = heldBy.get(uuid);
      if (!username) return;
      heldBy.delete(uuid);
      d.agents.apply(username, { kind: 'call-ended', callId: uuid });
    },
  };
}
