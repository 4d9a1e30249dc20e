// Pacing is chosen per task: the optional `pacing` parameter of submitCallTask / setTaskConcurrent (an extension
// of the contract) is `fixed` (the default, the seed's rate rule) or `adaptive` (holds the abandon rate under 3%).
import { invalid } from '../../core/errors.js';
import type { AppError } from '../../core/errors.js';
import { adaptivePacer } from './adaptive.js';
import type { AdaptiveOptions } from './adaptive.js';
import { fixedPacer } from './pacer.js';
import type { Pacer } from './pacer.js';

export const pacingModes = ['fixed', 'adaptive'] as const;
export type PacingMode = (typeof pacingModes)[number];
export const defaultPacingMode: PacingMode = 'fixed';

/** Reads the API's `pacing` value: absent or empty means the default; anything unknown is an `invalid` error. */
export function parsePacingMode(value: unknown): PacingMode | AppError {
  if (value === undefined || value === null || value === '') return defaultPacingMode;
  if (typeof value === 'string') {
    const mode = value.trim().toLowerCase();
    for (const m of pacingModes) if (m === mode) return m;
  }
  return invalid(`pacing must be one of ${pacingModes.join(', ')}`);
}

export interface PacerOptions {
  /** Only for `adaptive`; every field has a default (see defaultAdaptiveOptions). */
  adaptive?: Partial<AdaptiveOptions>;
}

/** A fresh pacer for one task: pacers keep per-task estimates, so never share one between tasks. */
export function createPacer(mode: PacingMode, options: PacerOptions = {}): Pacer {
  return mode === 'adaptive' ? adaptivePacer(options.adaptive) : fixedPacer();
}
