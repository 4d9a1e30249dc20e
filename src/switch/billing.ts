// Call charges in fen (architecture §4, spec 一.10 priceRule/priceCal). A gateway bills either per started block
// of N seconds (billType 2, priceRule "N|P": priceCal = ceil(billsec / N) × P) or per answered call (billType 1,
// priceRule "call|P"). The rule is stored on the call log as it was when the call was billed, so a later price
// change on the gateway does not rewrite history.
import { BillType } from '../core/codes.js';

interface GatewayTariff {
  billType: number | null;
  /** Seconds per block (billType 2). */
  billsec: number | null;
  /** Price per block or per call, in fen. */
  priceFen: number | null;
}

type PriceRule =
  { kind: 'per-seconds'; blockSeconds: number; priceFen: number } | { kind: 'per-call'; priceFen: number };

const PER_CALL = 'call';

/** Prices print as the spec's example does ("6|10.0"): a whole number keeps one decimal. */
const priceText = (p: number): string => (Number.isInteger(p) ? p.toFixed(1) : String(p));

/** The priceRule string of a gateway, or null when it has no (complete) tariff. */
export function priceRuleOf(g: GatewayTariff): string | null {
  if (g.priceFen === null || g.priceFen < 0) return null;
  if (g.billType === BillType.perCall) return `${PER_CALL}|${priceText(g.priceFen)}`;
  if (g.billType === BillType.perSeconds && g.billsec !== null && g.billsec > 0)
    return `${g.billsec}|${priceText(g.priceFen)}`;
  return null;
}

export function parsePriceRule(rule: string): PriceRule | null {
  const m = /^\s*([^|\s]+)\s*\|\s*([0-9]+(?:\.[0-9]+)?)\s*$/.exec(rule);
  if (!m) return null;
  const priceFen = Number(m[2]);
  if (m[1] === PER_CALL) return { kind: 'per-call', priceFen };
  const blockSeconds = Number(m[1]);
  if (!Number.isInteger(blockSeconds) || blockSeconds <= 0) return null;
  return { kind: 'per-seconds', blockSeconds, priceFen };
}

/** Fen with at most two decimals: 3 × 0.1 is 0.3, not 0.30000000000000004. */
const fen = (x: number): number => Math.round(x * 100) / 100;

/** The charge of a call in fen, or null when the rule is absent or unreadable (nothing can be charged). */
export function priceCal(rule: string | null, billsec: number): number | null {
  if (rule === null) return null;
  const r = parsePriceRule(rule);
  if (!r) return null;
  const seconds = Math.max(0, Math.floor(billsec));
  if (r.kind === 'per-call') return seconds > 0 ? fen(r.priceFen) : 0;
  return fen(Math.ceil(seconds / r.blockSeconds) * r.priceFen);
}
