// Do-not-call lists (issue 14.6): a global list and one per project, managed over the API (add, remove, check,
// list, CSV import). Dispensing (numbers.ts) screens every number against both lists at the moment it would be
// dialled, so numbers appended to a running task, recalls and retries are covered the same way, and a number put on
// a list while a task runs is never dialled afterwards.
import type { Clock } from '../core/clock.js';
import { invalid } from '../core/errors.js';
import { normalizePhone } from '../core/phone.js';
import type { DncRepo } from '../db/repos/dnc.js';
import { applyInBatches, dncKey, ImportQueue } from './dnc-import.js';

export { dncKey };

export class DncService {
  private readonly imports = new ImportQueue();

  constructor(
    private readonly d: {
      dnc: DncRepo;
      projectExists: (projectCode: string) => Promise<boolean>;
      clock: Clock;
    },
  ) {}

  /** '' for the global list; a project code must be one that exists (active or finished). */
  async scopeCode(projectCode: string | undefined): Promise<string> {
    if (projectCode === undefined) return '';
    if (!(await this.d.projectExists(projectCode)))
      throw invalid(`projectCode ${projectCode} does not exist`);
    return projectCode;
  }

  /**
   * Lists the numbers, whose every value was checked first (DncKeys, as a CSV streamed in). Applied in batches that
   * let calls run between them; a failure undoes the batches already written, so the list is left as it was.
   */
  add(projectCode: string | undefined, keys: string[], note?: string) {
    return this.imports.run(async () => {
      const scope = await this.scopeCode(projectCode);
      const now = this.d.clock.now();
      const added = await applyInBatches(
        keys,
        (batch) => this.d.dnc.addNew(scope, batch, note ?? null, now),
        (phones) => this.d.dnc.remove(scope, phones),
      );
      return {
        list: scope === '' ? 'global' : scope,
        added: added.length,
        alreadyListed: keys.length - added.length,
      };
    });
  }

  remove(projectCode: string | undefined, keys: string[]) {
    return this.imports.run(async () => {
      const scope = await this.scopeCode(projectCode);
      const removed = await applyInBatches(
        keys,
        (batch) => this.d.dnc.removeRows(scope, batch),
        (rows) => this.d.dnc.restore(rows),
      );
      return { list: scope === '' ? 'global' : scope, removed: removed.length };
    });
  }

  async check(phone: string, projectCode: string | undefined) {
    if (normalizePhone(phone) === undefined)
      throw invalid('phone must be digits with an optional leading + (at most 20)');
    const key = dncKey(phone);
    if (projectCode !== undefined) await this.scopeCode(projectCode);
    const lists: string[] = [];
    if (await this.d.dnc.has('', key)) lists.push('global');
    if (projectCode !== undefined && (await this.d.dnc.has(projectCode, key))) lists.push(projectCode);
    return { phone, blocked: lists.length > 0, lists };
  }

  async list(projectCode: string | undefined, offset: number, limit: number) {
    const scope = await this.scopeCode(projectCode);
    const page = await this.d.dnc.page(scope, offset, limit);
    return {
      list: scope === '' ? 'global' : scope,
      total: page.total,
      items: page.items.map((r) => ({ phone: r.phone, note: r.note, createdAt: r.createdAt })),
    };
  }
}
