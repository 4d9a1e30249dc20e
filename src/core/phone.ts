// How the API reads a phone number (call lists, do-not-call lists). People and spreadsheets write numbers grouped,
// `+86 138 0000 0005`, `138-0000-0005`, `(010) 8888 6666` (issue #17: such a number was rejected); the dialer and
// the lists need the bare form, digits with an optional leading +, at most 20 characters.

/** Digits with an optional leading +, at most 20 characters (E.164 allows 15 digits; carriers add prefixes). */
const PHONE = /^\+?[0-9]{1,19}$/;

/** Grouping a person may write between digits: spaces (also no-break and ideographic), -, ., parentheses. */
const GROUPING = /[\s\u00a0\u3000\-.()]/g;

/** The bare number, or undefined when `raw` is not a phone number even without its grouping. */
export function normalizePhone(raw: string): string | undefined {
  const bare = raw.trim().replace(GROUPING, '');
  return PHONE.test(bare) ? bare : undefined;
}

/** The key a number is kept under in the do-not-call lists: normalised, without a leading '+'. */
export const dncKey = (phone: string): string => (normalizePhone(phone) ?? phone.trim()).replace(/^\+/, '');
