// Take-over recovery (issue 20): when this instance gains a project another instance held, what that instance left
// is settled from FreeSWITCH, for that project only. Its numbers still 'dialing' under an older epoch got their call
// uuid when they were dispensed: a call FreeSWITCH still has is kept for its CDR (as after a restart), any other is
// closed as 未接通 and never dialled again (a number never originated cannot be told from a call that ended). Rows
// with no call uuid at all go back to pending. Agents on live legs are marked busy as after a restart (recovery.ts),
// so none of the project's agents gets a second call.
import { FsCommand, parseChannelRows } from '../switch/fs-commands.js';
import { planRecovery, type ChannelRow } from './recovery.js';

interface TakeoverDeps {
  numbers: {
    dialingInProject(projectCode: string, below: number): Promise<{ id: number; callUuid: string | null }[]>;
    releaseUnoriginated(ids: number[], now: number): Promise<number>;
    recoverAtStartup(
      now: number,
      isCallLive: (uuid: string) => boolean,
      onlyIds?: ReadonlySet<number>,
    ): Promise<{ kept: unknown[]; closed: unknown[] }>;
  };
  nodes: { api(nodeId: number, command: string): Promise<{ ok: boolean; value?: string }> };
  activeNodes(): number[];
  /** What a (re)connect does with a node's channels: agents on legs we do not know are busy until they end. */
  agentsOnLegs(nodeId: number, rows: ChannelRow[]): Promise<void>;
  now(): number;
  log: { warn(obj: object, msg: string): void };
}

interface TakeoverResult {
  released: number;
  kept: number;
  closed: number;
  hungUp: number;
}

/** Every active node's live channels now; throws when one cannot be read (guessing "not live" could redial). */
async function liveChannels(d: TakeoverDeps): Promise<Map<number, ChannelRow[]>> {
  const out = new Map<number, ChannelRow[]>();
  for (const nodeId of d.activeNodes()) {
    const r = await d.nodes.api(nodeId, FsCommand.showChannels());
    if (!r.ok || r.value === undefined) throw new Error(`show channels failed on node ${nodeId}`);
    out.set(nodeId, parseChannelRows(r.value) as unknown as ChannelRow[]);
  }
  return out;
}

/** Recovers what an older epoch left of the project (this instance now holds it at `epoch`). */
export async function recoverTakenProject(
  d: TakeoverDeps,
  projectCode: string,
  epoch: number,
): Promise<TakeoverResult> {
  const left = await d.numbers.dialingInProject(projectCode, epoch);
  const released = await d.numbers.releaseUnoriginated(
    left.filter((n) => !n.callUuid).map((n) => n.id),
    d.now(),
  );
  const byNode = await liveChannels(d);
  for (const [nodeId, rows] of byNode) await d.agentsOnLegs(nodeId, rows);
  const all = [...byNode.values()].flat();
  const calls = new Set(left.flatMap((n) => (n.callUuid ? [n.callUuid] : [])));
  // A customer of the old owner still waiting for an agent has nobody to connect them: hung up, its CDR settles it.
  const orphans = planRecovery(all, new Set(), calls).orphans;
  for (const uuid of orphans) {
    const node = [...byNode].find(([, rows]) => rows.some((r) => r.uuid === uuid))?.[0];
    if (node !== undefined) void d.nodes.api(node, FsCommand.kill(uuid));
  }
  const live = new Set(all.map((r) => r.uuid));
  const withCall = new Set(left.filter((n) => n.callUuid).map((n) => n.id));
  const { kept, closed } = withCall.size
    ? await d.numbers.recoverAtStartup(d.now(), (uuid) => live.has(uuid), withCall)
    : { kept: [], closed: [] };
  const result = { released, kept: kept.length, closed: closed.length, hungUp: orphans.length };
  if (left.length)
    d.log.warn({ project: projectCode, epoch, ...result }, 'calls a previous owner left were recovered');
  return result;
}
