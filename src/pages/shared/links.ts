// What a page's address may carry. Pure: also used by Node tests.

/**
 * The certificate (and optionally the extension) in the link's fragment: `/workbench#certificate=...&username=1001`.
 * A fragment never reaches any server, so the certificate stays out of access logs and Referer headers.
 */
export function linkedClaim(hash: string): { certificate?: string; username?: string } {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  return { certificate: p.get('certificate') ?? undefined, username: p.get('username') ?? undefined };
}

/** Which SIP WebSocket the softphone uses: ?sip=<ws url> overrides the project's (claim.servers); ?sip=off, none. */
export function sipServer(search: string, claimed: string): string | null {
  const override = new URLSearchParams(search).get('sip');
  if (override === 'off') return null;
  return override || claimed;
}
