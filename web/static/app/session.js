// Who is signed in. The bearer token lives in sessionStorage:
// - not a cookie, so the browser never attaches it by itself and no other
//   site can make a request that carries it (no CSRF on /graphql);
// - not a URL, so it reaches no log, history or Referer;
// - not only memory, so it survives the round trip through PayPal's
//   approval page and a reload, and is gone when the tab closes (a shared
//   computer keeps no session);
// - script on the page could read it, so no script but ours may run: the
//   CSP allows only same-origin files and no inline code, and the DOM is
//   built by Preact node by node (Trusted Types forbid HTML sinks).
// An HttpOnly cookie would hide it from script too, but the API takes
// bearer tokens only; a cookie would be a second way in to defend.
import { store } from './store.js';

const KEY = 'dropledger.session';

/** @typedef {{ token: string, user: { id: string, email: string | null, role: 'ADMIN' | 'USER' | 'ACCOUNTANT' } }} Session */

/** @returns {Session | null} */
function load() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    if (saved && typeof saved.token === 'string' && saved.user && typeof saved.user.id === 'string') return saved;
  } catch {
    // An unreadable entry is no session.
  }
  return null;
}

/** The signed-in user and their token, or null. */
export const session = store(load());

/** @param {Session} value */
export function signIn(value) {
  sessionStorage.setItem(KEY, JSON.stringify(value));
  session.set(value);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  session.set(null);
}
