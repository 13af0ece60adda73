// The app's entry: the frame (header, navigation, who is signed in) and the
// view each path shows. The dashboard is loaded when first visited, so the
// storefront's first page loads only what it shows.
/** @import * as T from '../../types/graphql' */
/** @import { Operation } from './graphql.js' */
import { render } from '../vendor/preact.mjs';
import { useEffect, useState } from '../vendor/hooks.mjs';
import { html } from './html.js';
import { Link, location_, match, navigate } from './router.js';
import { session, signIn, signOut } from './session.js';
import { useStore } from './store.js';
import { AuthPage } from './auth.js';
import { Catalogue, CheckoutCancel, CheckoutReturn, ProductPage } from './storefront.js';
import { OrderPage } from './order.js';
import { ErrorNotice, Loading, Page, request } from './ui.js';

/** @typedef {(params: Record<string, string>) => any} View */

/** @type {[string, View][]} */
const ROUTES = [
  ['/', () => html`<${Catalogue} />`],
  ['/products/:id', ({ id }) => html`<${ProductPage} id=${id} />`],
  ['/checkout/return', () => html`<${CheckoutReturn} />`],
  ['/checkout/cancel', () => html`<${CheckoutCancel} />`],
  ['/orders/:id', ({ id }) => html`<${OrderPage} id=${id} />`],
  ['/signin', () => html`<${AuthPage} mode="signin" />`],
  ['/register', () => html`<${AuthPage} mode="register" />`],
  ['/dashboard/*', ({ rest }) => html`<${Dashboard} section=${rest} />`],
];

/** @type {Promise<typeof import('./dashboard/index.js')> | null} */
let dashboardModule = null;

/**
 * The dashboard, imported on first use.
 * @param {{ section: string }} props
 */
function Dashboard({ section }) {
  const [module, setModule] = useState(/** @type {typeof import('./dashboard/index.js') | null} */ (null));
  const [failure, setFailure] = useState(/** @type {unknown} */ (null));
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    dashboardModule ??= import('./dashboard/index.js');
    dashboardModule.then(setModule, (error) => {
      dashboardModule = null;
      setFailure(error);
    });
  }, [attempt]);
  if (module) return html`<${module.Dashboard} section=${section} />`;
  if (failure) {
    return html`
      <${Page} title="Dashboard">
        <${ErrorNotice} error=${failure} retry=${() => { setFailure(null); setAttempt(attempt + 1); }} />
      </${Page}>`;
  }
  return html`<${Loading} label="Loading the dashboard…" />`;
}

function Header() {
  const signedIn = useStore(session);
  const { path } = useStore(location_);
  const here = `${path}`;
  return html`
    <header class="site">
      <a class="skip" href="#main">Skip to content</a>
      <${Link} class="brand" href="/">dropledger</${Link}>
      <nav aria-label="Site">
        <${Link} href="/" aria-current=${here === '/' ? 'page' : undefined}>Shop</${Link}>
        ${signedIn
          ? html`
            <${Link} href="/dashboard" aria-current=${here.startsWith('/dashboard') ? 'page' : undefined}>Dashboard</${Link}>
            <span class="who" title=${signedIn.user.role}>${signedIn.user.email}</span>
            <button type="button" class="link" onClick=${() => { signOut(); navigate('/'); }}>Sign out</button>`
          : html`<${Link} href=${`/signin?next=${encodeURIComponent(here)}`}>Sign in</${Link}>`}
      </nav>
    </header>`;
}

function App() {
  const { path } = useStore(location_);
  let view = null;
  for (const [pattern, make] of ROUTES) {
    const params = match(pattern, path);
    if (params) {
      view = make(params);
      break;
    }
  }
  return html`
    <${Header} />
    <main id="main">
      ${view ?? html`<${Page} title="Not found"><p>There is no such page. <${Link} href="/">Go to the shop</${Link}>.</p></${Page}>`}
    </main>`;
}

/** @type {Operation<T.WhoAmIQuery, T.WhoAmIQueryVariables>} */
const WHO_AM_I = /* GraphQL */ `
  query WhoAmI { me { id email role } }`;

// A session from an earlier visit may hold a token the server no longer
// takes (expired, or signed with a secret since replaced) or an old role:
// ask once who it is, and forget it when nobody.
if (session.value) {
  request(WHO_AM_I, {}).then(
    ({ me }) => {
      const current = session.value;
      if (!me) signOut();
      else if (current && (me.role !== current.user.role || me.email !== current.user.email)) signIn({ token: current.token, user: me });
    },
    () => {
      // Offline or failing: keep the session; the next request will say.
    },
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
