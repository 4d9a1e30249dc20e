// What an inbound client asked FreeSWITCH to send it, kept so a new connection can ask again.
//
// mod_event_socket reads `event <format> A B CUSTOM x::y z::w`: every word after CUSTOM is a subclass, so when
// the remembered set is replayed the plain names go first and the subclasses last, behind a single CUSTOM.

export type EventFormat = 'plain' | 'json';

export class Subscriptions {
  format: EventFormat = 'plain';
  private readonly names = new Set<string>();
  private readonly subclasses = new Set<string>();
  private custom = false;
  private readonly filters: [string, string][] = [];

  addEvents(format: EventFormat, words: readonly string[]): void {
    this.format = format;
    let custom = false;
    for (const word of words) {
      if (custom) this.subclasses.add(word);
      else if (word.toUpperCase() === 'CUSTOM') custom = this.custom = true;
      else this.names.add(word.toUpperCase());
    }
  }

  clearEvents(): void {
    this.names.clear();
    this.subclasses.clear();
    this.custom = false;
  }

  addFilter(header: string, value: string): void {
    if (!this.filters.some(([h, v]) => h === header && v === value)) this.filters.push([header, value]);
  }

  /** Forgets one filter (header + value), every filter on a header (no value), or all (header 'all'). */
  deleteFilter(header: string, value?: string): void {
    for (let i = this.filters.length - 1; i >= 0; i--) {
      const [h, v] = this.filters[i]!;
      if (header === 'all' || (h === header && (value === undefined || v === value)))
        this.filters.splice(i, 1);
    }
  }

  /**
   * The `event` line to send, or undefined when nothing is subscribed. BACKGROUND_JOB is always included
   * because bgapi results arrive only as that event.
   */
  eventLine(): string | undefined {
    if (this.names.size === 0 && !this.custom) return undefined;
    const names = [...this.names];
    if (!this.names.has('ALL') && !this.names.has('BACKGROUND_JOB')) names.push('BACKGROUND_JOB');
    const custom = this.custom ? ['CUSTOM', ...this.subclasses] : [];
    return `event ${this.format} ${[...names, ...custom].join(' ')}`;
  }

  filterLines(): string[] {
    return this.filters.map(([h, v]) => `filter ${h} ${v}`);
  }
}
