// Counters for what matters (style.md §7), exposed on /health and /metrics. Components take a Metrics and bump
// named counters; names are dotted (`esl.commands`, `dialer.originates`).
export class Metrics {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, () => number>();

  inc(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  /** A value read when metrics are reported (live calls, STOMP sessions...). */
  gauge(name: string, read: () => number): void {
    this.gauges.set(name, read);
  }

  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of [...this.counters].sort()) out[k] = v;
    for (const [k, read] of [...this.gauges].sort()) out[k] = read();
    return out;
  }

  /** Prometheus text exposition. */
  prometheus(): string {
    return Object.entries(this.snapshot())
      .map(([k, v]) => `callcenter_${k.replace(/[^a-zA-Z0-9_]/g, '_')} ${v}`)
      .join('\n')
      .concat('\n');
  }
}
