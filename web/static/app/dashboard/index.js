// The dashboard: what a signed-in seller, admin or accountant works with,
// loaded only when first visited. Each role sees its own sections; the API
// refuses the rest anyway (the navigation only spares people the refusal).
import { html } from '../html.js';
import { Link } from '../router.js';
import { session } from '../session.js';
import { useStore } from '../store.js';
import { Page } from '../ui.js';

/** @param {{ section: string }} props */
export function Dashboard({ section }) {
  const signedIn = useStore(session);
  if (!signedIn) {
    return html`
      <${Page} title="Dashboard">
        <p>Sign in to see your dashboard. <${Link} href=${`/signin?next=${encodeURIComponent(`/dashboard/${section}`)}`}>Sign in</${Link}></p>
      </${Page}>`;
  }
  return html`
    <${Page} title="Dashboard">
      <p>Signed in as ${signedIn.user.email} (${signedIn.user.role}).</p>
    </${Page}>`;
}
