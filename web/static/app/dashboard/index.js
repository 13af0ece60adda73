// The dashboard: what a signed-in seller, admin or accountant works with,
// loaded only when first visited. Each role sees its own sections; the API
// refuses the rest anyway (hiding them only spares people the refusal).
import { html } from '../html.js';
import { Link, navigate } from '../router.js';
import { session } from '../session.js';
import { useStore } from '../store.js';
import { Page } from '../ui.js';
import { Products } from './products.js';
import { Account, Orders, Payouts, Sales } from './seller.js';
import { Autopilot, Capital, Projections, Settings, Users } from './admin.js';
import { AuditTrail, Accounts, GeneralLedger, Reconciliations, TrialBalance } from './books.js';

/** @typedef {'ADMIN' | 'USER' | 'ACCOUNTANT'} Role */
/** @typedef {{ path: string, title: string, group: string, roles: Role[], view: () => any }} Section */

/** @type {Section[]} */
const SECTIONS = [
  { path: 'products', title: 'My products', group: 'Selling', roles: ['USER', 'ADMIN'], view: Products },
  { path: 'orders', title: 'Orders', group: 'Selling', roles: ['USER', 'ADMIN', 'ACCOUNTANT'], view: Orders },
  { path: 'sales', title: 'Sales', group: 'Selling', roles: ['USER', 'ADMIN', 'ACCOUNTANT'], view: Sales },
  { path: 'payouts', title: 'Payouts', group: 'Selling', roles: ['USER', 'ADMIN', 'ACCOUNTANT'], view: Payouts },
  { path: 'account', title: 'Account', group: 'Selling', roles: ['USER', 'ADMIN', 'ACCOUNTANT'], view: Account },
  { path: 'admin/capital', title: 'Capital', group: 'Platform', roles: ['ADMIN'], view: Capital },
  { path: 'admin/settings', title: 'Settings', group: 'Platform', roles: ['ADMIN'], view: Settings },
  { path: 'admin/autopilot', title: 'Autopilot', group: 'Platform', roles: ['ADMIN'], view: Autopilot },
  { path: 'admin/users', title: 'Users and roles', group: 'Platform', roles: ['ADMIN'], view: Users },
  { path: 'admin/projections', title: 'Read models', group: 'Platform', roles: ['ADMIN', 'ACCOUNTANT'], view: Projections },
  { path: 'books/trial-balance', title: 'Trial balance', group: 'Books', roles: ['ACCOUNTANT', 'ADMIN'], view: TrialBalance },
  { path: 'books/accounts', title: 'Accounts', group: 'Books', roles: ['ACCOUNTANT', 'ADMIN'], view: Accounts },
  { path: 'books/ledger', title: 'General ledger', group: 'Books', roles: ['ACCOUNTANT', 'ADMIN'], view: GeneralLedger },
  { path: 'books/reconciliations', title: 'Reconciliations', group: 'Books', roles: ['ACCOUNTANT', 'ADMIN'], view: Reconciliations },
  { path: 'books/audit', title: 'Audit trail', group: 'Books', roles: ['ACCOUNTANT', 'ADMIN'], view: AuditTrail },
];

/** Where each role starts. */
const HOME = { USER: 'products', ADMIN: 'admin/capital', ACCOUNTANT: 'books/trial-balance' };

/** @param {{ section: string }} props */
export function Dashboard({ section }) {
  const signedIn = useStore(session);
  if (!signedIn) {
    return html`
      <${Page} title="Dashboard">
        <p>Sign in to see your dashboard. <${Link} href=${`/signin?next=${encodeURIComponent(`/dashboard/${section}`)}`}>Sign in</${Link}></p>
      </${Page}>`;
  }
  const role = signedIn.user.role;
  const mine = SECTIONS.filter((candidate) => candidate.roles.includes(role));
  if (!section) {
    navigate(`/dashboard/${HOME[role] ?? mine[0].path}`, { replace: true });
    return null;
  }
  const current = SECTIONS.find((candidate) => candidate.path === section);
  const groups = [...new Set(mine.map((candidate) => candidate.group))];
  let view;
  if (!current) {
    view = html`<${Page} title="Not found"><p>There is no such section.</p></${Page}>`;
  } else if (!current.roles.includes(role)) {
    view = html`
      <${Page} title="Not for your role">
        <p class="notice error" role="alert">${current.title} is for ${current.roles.join(' and ').toLowerCase()} accounts; you are signed in as ${role.toLowerCase()}.</p>
      </${Page}>`;
  } else {
    view = html`<${current.view} />`;
  }
  return html`
    <div class="dashboard">
      <nav class="sections" aria-label="Dashboard">
        ${groups.map((group) => html`
          <h2>${group}</h2>
          ${mine.filter((candidate) => candidate.group === group).map((candidate) => html`
            <${Link} href=${`/dashboard/${candidate.path}`} aria-current=${candidate.path === section ? 'page' : undefined}>${candidate.title}</${Link}>`)}`)}
      </nav>
      <div key=${section}>${view}</div>
    </div>`;
}
