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
      const free = (gateway.expectCount ?? 0) - this.d.gatewayUsage.inUse(gateway.id);
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
    const perSecond = Math.floor(node.sessionsPerSecond / 2) - recent.length;
    const sessions = Math.floor(node.maxSessions / 2) - this.d.book.customerLegs();
    return Math.max(0, Math.min(perSecond, sessions));
  }

  /** A customer leg was originated on the node now (counts against its sessions per second). */
  originated(nodeId: number, now: number): void {
    const recent = this.recentOriginates.get(nodeId);
    if (recent) recent.push(now);
    else this.recentOriginates.set(nodeId, [now]);
  }
}
