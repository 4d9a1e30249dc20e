// Do-not-call lists (issue 14.6): a global list and one per project, managed over the API (add, remove, check,
// list, CSV import). Dispensing (numbers.ts) screens every number against both lists at the moment it would be
// dialled, so numbers appended to a running task, recalls and retries are covered the same way, and a number put on
// a list while a task runs is never dialled afterwards.
import type { Clock } from '../core/clock.js';
import { invalid } from '../core/errors.js';
import { normalizePhone } from '../core/phone.js';
import type { DncRepo } from '../db/repos/dnc.js';

/** The key a phone is listed and looked up by: its digits, grouping and a leading + dropped. */
export const dncKey = (phone: string): string => (normalizePhone(phone) ?? phone.trim()).replace(/^\+/, '');

export type DncScope = { kind: 'global' } | { kind: 'project'; projectCode: string };

export class DncService {
  constructor(
    private readonly d: { dnc: DncRepo; projectExists: (projectCode: string) => boolean; clock: Clock },
  ) {}

  /** '' for the global list; a project code must be one that exists (active or finished). */
  scopeCode(projectCode: string | undefined): string {
    if (projectCode === undefined) return '';
    if (!this.d.projectExists(projectCode)) throw invalid(`projectCode ${projectCode} does not exist`);
    return projectCode;
  }

  /**
   * The phones' keys. Any bad value rejects the whole request (nothing is stored), naming its position; a first
   * CSV line without any digit is taken as a header and skipped.
   */
  private keysOf(values: { position: number; value: string }[]): string[] {
    const keys = new Set<string>();
    for (const [i, { position, value }] of values.entries()) {
      if (i === 0 && position === 1 && !/\d/.test(value)) continue;
      if (normalizePhone(value) === undefined)
        throw invalid(
          `numbers: value ${position} (${JSON.stringify(value.slice(0, 40))}) is not a phone number`,
        );
      keys.add(dncKey(value));
    }
    if (keys.size === 0) throw invalid('numbers must hold at least one phone number');
    if (keys.size > 100_000) throw invalid('numbers may hold at most 100000 phone numbers per request');
    return [...keys];
  }

  add(projectCode: string | undefined, values: { position: number; value: string }[], note?: string) {
    const scope = this.scopeCode(projectCode);
    const keys = this.keysOf(values);
    const added = this.d.dnc.add(scope, keys, note ?? null, this.d.clock.now());
    return { list: scope === '' ? 'global' : scope, added, alreadyListed: keys.length - added };
  }

  remove(projectCode: string | undefined, values: { position: number; value: string }[]) {
    const scope = this.scopeCode(projectCode);
    const keys = this.keysOf(values);
    return { list: scope === '' ? 'global' : scope, removed: this.d.dnc.remove(scope, keys) };
  }

  check(phone: string, projectCode: string | undefined) {
    if (normalizePhone(phone) === undefined)
      throw invalid('phone must be digits with an optional leading + (at most 20)');
    const key = dncKey(phone);
    if (projectCode !== undefined) this.scopeCode(projectCode);
    const lists: string[] = [];
    if (this.d.dnc.has('', key)) lists.push('global');
    if (projectCode !== undefined && this.d.dnc.has(projectCode, key)) lists.push(projectCode);
    return { phone, blocked: lists.length > 0, lists };
  }

  list(projectCode: string | undefined, offset: number, limit: number) {
    const scope = this.scopeCode(projectCode);
    const page = this.d.dnc.page(scope, offset, limit);
    return {
      list: scope === '' ? 'global' : scope,
      total: page.total,
      items: page.items.map((r) => ({ phone: r.phone, note: r.note, createdAt: r.createdAt })),
    };
  }
}
