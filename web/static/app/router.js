// Client-side navigation over the History API: the server answers every
// app path with the same page (web/src/lib.rs lists them), and this module
// says which view that path means.
import { html } from './html.js';
import { store } from './store.js';

/** The current location: path and query. */
export const location_ = store({ path: location.pathname, query: new URLSearchParams(location.search) });

function update() {
  location_.set({ path: location.pathname, query: new URLSearchParams(location.search) });
}
addEventListener('popstate', update);

/**
 * Goes to a path of the app without reloading the page.
 * @param {string} path
 * @param {{ replace?: boolean }} [options]
 */
export function navigate(path, options = {}) {
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  scrollTo(0, 0);
  update();
}

/**
 * Whether `path` is a path of this site (never another origin, never a
 * protocol-relative `//host`): the only kind of `next` we follow.
 * @param {string | null} path
 */
export function isLocalPath(path) {
  return typeof path === 'string' && path.startsWith('/') && !path.startsWith('//') && !path.startsWith('/\\');
}

/**
 * A link that navigates in the app; modified clicks (new tab, etc.) keep
 * the browser's behaviour.
 * @param {{ href: string, class?: string, children?: any, 'aria-current'?: string }} props
 */
export function Link(props) {
  /** @param {MouseEvent} event */
  const onClick = (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(props.href);
  };
  return html`<a ...${props} onClick=${onClick}>${props.children}</a>`;
}

/**
 * Matches `path` against a pattern such as `/orders/:id`; the parameters or null.
 * @param {string} pattern
 * @param {string} path
 * @returns {Record<string, string> | null}
 */
export function match(pattern, path) {
  const wanted = pattern.split('/');
  const given = path.replace(/\/+$/, '').split('/');
  if (pattern.endsWith('/*')) {
    if (given.length < wanted.length - 1) return null;
  } else if (wanted.length !== given.length && !(pattern === '/' && path === '/')) {
    return null;
  }
  /** @type {Record<string, string>} */
  const params = {};
  for (let i = 0; i < wanted.length; i += 1) {
    if (wanted[i] === '*') {
      params.rest = given.slice(i).join('/');
      break;
    }
    if (wanted[i].startsWith(':')) params[wanted[i].slice(1)] = decodeURIComponent(given[i] ?? '');
    else if (wanted[i] !== (given[i] ?? '')) return null;
  }
  return params;
}
