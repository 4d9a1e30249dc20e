// Live calls per gateway: the dialer acquires a slot before it originates and releases it when the leg ends, so
// getAvailableList's usedConcurrency and the dialer's limits read the same numbers.
export class GatewayUsage {
  private readonly used = new Map<number, number>();

  inUse(gatewayId: number): number {
    return this.used.get(gatewayId) ?? 0;
  }

  acquire(gatewayId: number): void {
    this.used.set(gatewayId, this.inUse(gatewayId) + 1);
  }

  release(gatewayId: number): void {
    const n = this.inUse(gatewayId) - 1;
    if (n > 0) this.used.set(gatewayId, n);
    else this.used.delete(gatewayId);
  }
}
