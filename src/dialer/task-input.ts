// The submit and query parameters the contract leaves loosely typed, read into values or an `invalid` error that
// names the field: times, callGWs, rate, resultDetail lists, and which scheduleTypes go with each callType.
import { CallType, resultDetails, ScheduleType } from '../core/codes.js';
import { invalid, type AppError } from '../core/errors.js';

/** scheduleTypes each callType accepts (preview agents dial the customer themselves: agent first). */
export const SCHEDULES_OF: Record<number, readonly number[]> = {
  [CallType.predictive]: [
    ScheduleType.directToAgent,
    ScheduleType.playThenAgent,
    ScheduleType.agentFirst,
    ScheduleType.offHookAgent,
    ScheduleType.playOnly,
  ],
  [CallType.preview]: [ScheduleType.agentFirst],
  [CallType.inbound]: [ScheduleType.inbound],
};

const SHANGHAI_OFFSET_MS = 8 * 3600_000;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** API times: `yyyy-MM-dd HH:mm:ss` in Asia/Shanghai (UTC+8, no DST) or epoch milliseconds. */
export function parseApiTime(value: unknown, field: string): number | AppError {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (/^\d{1,15}$/.test(text)) return Number(text);
  const m = DATETIME.exec(text);
  if (m) {
    const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
    const utc = Date.UTC(y, mo - 1, d, h, mi, s);
    const back = new Date(utc);
    if (back.getUTCMonth() === mo - 1 && back.getUTCDate() === d && h < 24 && mi < 60 && s < 60)
      return utc - SHANGHAI_OFFSET_MS;
  }
  return invalid(`${field} must be yyyy-MM-dd HH:mm:ss (UTC+8) or epoch milliseconds`);
}

interface GatewayShare {
  code: string;
  concurrency: number;
}

/** callGWs: a JSON array (or its text, as a form field) of {code, concurrency}. */
export function parseCallGws(raw: unknown): GatewayShare[] | AppError {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return invalid('callGWs must be a JSON array like [{"code":"1001","concurrency":100}]');
    }
  }
  if (!Array.isArray(value) || value.length === 0)
    return invalid('callGWs must be a non-empty JSON array like [{"code":"1001","concurrency":100}]');
  const out: GatewayShare[] = [];
  for (const [i, item] of value.entries()) {
    const entry = (item ?? {}) as { code?: unknown; concurrency?: unknown };
    const code = typeof entry.code === 'number' ? String(entry.code) : entry.code;
    if (typeof code !== 'string' || code === '') return invalid(`callGWs[${i}].code is required`);
    const c = typeof entry.concurrency === 'string' ? Number(entry.concurrency) : entry.concurrency;
    if (typeof c !== 'number' || !Number.isInteger(c) || c <= 0)
      return invalid(`callGWs[${i}].concurrency must be an integer greater than 0`);
    if (out.some((g) => g.code === code)) return invalid(`callGWs lists gateway ${code} twice`);
    out.push({ code, concurrency: c });
  }
  return out;
}

export function checkRate(rate: number): number | AppError {
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0 || rate > 10)
    return invalid('rate must be a number greater than 0 and at most 10');
  return rate;
}

/** A comma list of resultDetail codes (spec 一.3 originalResultDetail, 一.13 resultDetail). */
export function parseResultDetails(text: string, field: string): number[] | AppError {
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const out: number[] = [];
  for (const p of parts) {
    const n = Number(p);
    if (!/^\d+$/.test(p) || !resultDetails.includes(n))
      return invalid(`${field}: ${p} is not a resultDetail code (${resultDetails.join(', ')})`);
    if (!out.includes(n)) out.push(n);
  }
  if (out.length === 0) return invalid(`${field} must list at least one resultDetail code`);
  return out;
}
