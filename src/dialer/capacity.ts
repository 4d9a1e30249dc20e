// How many calls a task may start now: room on each of its gateways (its own per-gateway limit and the gateway's
// free lines) and on its node (sessions per second, and sessions). Also how numbers are dialled through a gateway.
import { RegisterType } from '../core/codes.js';
import type { Gateway } from '../db/repos/gateways.js';
import type { AttemptBook, Task } from './attempts.js';
import type { DialerView } from './dialer-view.js';
import type { GatewayUsage } from './gateway-usage.js';

export interface GatewayRoom {
  gateway: Gateway;
  room: number;
}

interface CapacityDeps {
  gatewayUsage: GatewayUsage;
  book: AttemptBook;
  isNodeConnected(nodeId: number): boolean;
  /**
   * In a cluster (issue 20): how much of a cluster-wide limit this instance may use in all, given what it uses (read
   * again whenever the claim is renewed; cluster/capacity-ledger.ts). A lone instance has the whole limit.
   */
  share?(resource: string, limit: number, inUse: () => number): number;
}

/** The dial string for a number through a gateway: its prefix for mobiles or fixed lines. */
export function dialString(gateway: Gateway, phone: string): string {
  const mobile = /^(\+?86)?1\d{10}$/.test(phone);
  const prefix = (mobile ? gateway.mobilePhonePrefix : gateway.fixedPhonePrefix) ?? '';
  // Carriers that register to us (registerType 2) have no sofia gateway: send straight to their address.
  return gateway.registerType === RegisterType.passive
    ? `sofia/external/${prefix}${phone}@${gateway.realm}`
    : `sofia/gateway/${gateway.gwCode}/${prefix}${phone}`;
}

export class DialCapacity {
  private readonly recentOriginates = new Map<number, number[]>();

  constructor(private readonly d: CapacityDeps) {}

  /** Room on each of the task's gateways: the task's own limit and the gateway's free lines, whichever is less. */
  gatewayRoom(task: Task, view: DialerView): GatewayRoom[] {
    return (view.gatewaysOf.get(task.id) ?? []).flatMap((row) => {
      const { gateway } = row;
      if (gateway.status !== 1) return [];
      const byTask = this.d.book.linesOf(task.id, gateway.id);
      const inUse = this.d.gatewayUsage.inUse(gateway.id);
      const usage = () => this.d.gatewayUsage.inUse(gateway.id);
      const free = this.limit(`gw:${gateway.id}`, gateway.expectCount ?? 0, usage) - inUse;
      return [{ gateway, room: Math.max(0, Math.min(row.concurrency - byTask, free)) }];
    });
  }

  /** Originates this node may still start this second, and sessions it may still open. */
  nodeRoom(nodeId: number, now: number, view: DialerView): number {
    const node = view.nodes.get(nodeId);
    if (!node || !this.d.isNodeConnected(nodeId)) return 0;
    const recent = (this.recentOriginates.get(nodeId) ?? []).filter((t) => now - t < 1000);
    this.recentOriginates.set(nodeId, recent);
    // Every call we make can open two sessions (customer and agent): keep half of each limit for agent legs.
    // Originates since this second's count are in the list too (a renewal before the next look counts them).
    const started = () => this.recentOriginates.get(nodeId)?.length ?? 0;
    const cps = this.limit(`node:${nodeId}:cps`, Math.floor(node.sessionsPerSecond / 2), started);
    const legs = this.d.book.customerLegs();
    const sessions =
      this.limit(`node:${nodeId}:sessions`, Math.floor(node.maxSessions / 2), () =>
        this.d.book.customerLegs(),
      ) - legs;
    const perSecond = cps - recent.length;
    return Math.max(0, Math.min(perSecond, sessions));
  }

  /** This instance's part of a limit (all of it when alone). */
  private limit(resource: string, limit: number, inUse: () => number): number {
    return this.d.share ? this.d.share(resource, limit, inUse) : limit;
  }

  /** A customer leg was originated on the node now (counts against its sessions per second). */
  originated(nodeId: number, now: number): void {
    const recent = this.recentOriginates.get(nodeId);
    if (recent) recent.push(now);
    else this.recentOriginates.set(nodeId, [now]);
  }
}
