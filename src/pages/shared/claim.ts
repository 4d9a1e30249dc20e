// The claim panel both pages open with: the certificate (from the link's fragment, or what this tab saved), an
// optional extension, and the seat claimed through /callcenter/console/claim. The extension's password is kept in
// this tab only, so a reload re-claims the same seat (it is handed out once).
import { claimExtension, type Claim } from './console-api.js';
import { byId, inputValue, show } from './dom.js';
import { linkedClaim } from './links.js';

export interface ClaimPanel {
  /** sessionStorage key of this page's saved claim. */
  savedKey: string;
  /** 2 agent, 3 manager. */
  type: 2 | 3;
  /** Shown before the server's reason when the claim is refused. */
  failure: string;
  /** The desk takes over: the panel is hidden and the desk shown already. */
  claimed(claim: Claim): void;
}

export function wireClaimPanel(panel: ClaimPanel): void {
  async function claimAndStart(certificate: string, username?: string, password?: string): Promise<void> {
    const error = byId('claimError');
    show(error, false);
    const r = await claimExtension(certificate, panel.type, username, password);
    if (!r.ok) {
      error.textContent = `${panel.failure}: ${r.message}`;
      show(error, true);
      return;
    }
    const claim = r.data;
    sessionStorage.setItem(
      panel.savedKey,
      JSON.stringify({ certificate, username: claim.username, password: claim.password }),
    );
    show(byId('claimPanel'), false);
    show(byId('desk'), true);
    panel.claimed(claim);
  }

  const linked = linkedClaim(location.hash);
  const saved = JSON.parse(sessionStorage.getItem(panel.savedKey) ?? '{}') as {
    certificate?: string;
    username?: string;
    password?: string;
  };
  byId<HTMLInputElement>('certificate').value = linked.certificate ?? saved.certificate ?? '';
  byId<HTMLInputElement>('claimUser').value = linked.username ?? saved.username ?? '';
  byId('claimForm').addEventListener('submit', (e) => {
    e.preventDefault();
    const button = byId<HTMLButtonElement>('claimButton');
    button.disabled = true;
    void claimAndStart(inputValue('certificate'), inputValue('claimUser') || undefined).finally(
      () => (button.disabled = false),
    );
  });
  // A reload keeps working as the same extension (the certificate was already given in this tab).
  if (!linked.certificate && saved.certificate && saved.username)
    void claimAndStart(saved.certificate, saved.username, saved.password);
}
