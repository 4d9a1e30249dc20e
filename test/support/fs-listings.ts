// Reading FreeSWITCH's listings in the live tier, fail-closed: text that is not the listing asked for (fs_cli could
// not connect, -ERR, a truncated reply) throws, so a "leg gone" or "not registered" check can never pass because
// the switch could not be read.

/** Rows of `show channels as json`: `{"row_count":0}` when empty, else `{"row_count":N,"rows":[...]}`. */
export function parseShowChannels(text: string): Record<string, string>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`show channels as json: not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const { row_count: count, rows } = (parsed ?? {}) as { row_count?: unknown; rows?: unknown };
  if (typeof count !== 'number')
    throw new Error(`show channels as json: no row_count in ${text.slice(0, 200)}`);
  if (count === 0 && rows === undefined) return [];
  if (!Array.isArray(rows) || rows.length !== count)
    throw new Error(`show channels as json: row_count ${count} but ${JSON.stringify(rows)?.slice(0, 200)}`);
  return rows as Record<string, string>[];
}

/** The users (`1000@127.0.0.1`) listed by `sofia status profile <name> reg`. */
export function parseRegistrationListing(text: string): string[] {
  const total = /^Total items returned: (\d+)$/m.exec(text);
  if (!/^Registrations:$/m.test(text) || !total)
    throw new Error(`not a registration listing: ${JSON.stringify(text.slice(0, 200))}`);
  const users = [...text.matchAll(/^User:\s*(\S+)$/gm)].map((m) => m[1]!);
  if (users.length !== Number(total[1]))
    throw new Error(`registration listing says ${total[1]} items but lists ${users.length}`);
  return users;
}
