// The app's only way to the server: the public GraphQL API at /graphql,
// over fetch for queries and mutations and over a WebSocket
// (graphql-transport-ws) for subscriptions. The bearer token goes in the
// Authorization header, or in the socket's connection_init message —
// never in a URL, where logs and history would keep it.
import { session, signOut } from './session.js';

/**
 * A GraphQL document whose result is `R` and variables `V`. The types come
 * from graphql/schema.graphql through `npm run check` (web/scripts/check.mjs
 * generates them and verifies each annotation names its own operation).
 * @template R, V
 * @typedef {string & { readonly __result?: R, readonly __variables?: V }} Operation
 */

/** How long one request may take before it counts as a network failure. */
const REQUEST_TIMEOUT_MS = 15_000;

/** Why a request failed, in a shape views can show and offer a retry for. */
export class ApiError extends Error {
  /**
   * @param {'network' | 'server' | 'api'} kind `network`: nothing came back
   *   (offline, timeout); `server`: an HTTP error; `api`: a GraphQL error.
   * @param {string} message For people.
   * @param {string | null} code The API's code, e.g. `CONSISTENCY_TIMEOUT`.
   * @param {string | null} field The argument at fault, if any.
   */
  constructor(kind, message, code = null, field = null) {
    super(message);
    this.kind = kind;
    this.code = code;
    this.field = field;
  }

  /** Whether trying the same request again may well succeed. */
  get retryable() {
    return this.kind !== 'api' || this.code === 'CONSISTENCY_TIMEOUT' || this.code === 'INTERNAL';
  }
}

/**
 * Runs a query or mutation; its `data`, or an ApiError.
 * @template R, V
 * @param {Operation<R, V>} operation
 * @param {V} variables
 * @param {{ keepCookies?: boolean }} [options] keepCookies: let the response
 *   set cookies (connectAliExpress binds its OAuth flow to this browser with
 *   one the callback needs); otherwise the API neither gets nor sets any.
 * @returns {Promise<R>}
 */
export async function request(operation, variables, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const token = session.value?.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: operation, variables }),
      credentials: options.keepCookies ? 'same-origin' : 'omit',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch {
    throw new ApiError('network', 'The server could not be reached. Check your connection and try again.');
  }
  /** @type {{ data?: any, errors?: { message: string, extensions?: { code?: string, field?: string } }[] }} */
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError('server', `The server answered ${response.status} without a result. Try again.`);
  }
  const error = body.errors?.[0];
  if (error) {
    const code = error.extensions?.code ?? null;
    if (code === 'UNAUTHENTICATED' && token) signOut();
    throw new ApiError('api', describe(code, error.message), code, error.extensions?.field ?? null);
  }
  if (!response.ok || !body.data) {
    throw new ApiError('server', `The server answered ${response.status}. Try again.`);
  }
  return body.data;
}

/**
 * @param {string | null} code
 * @param {string} message
 */
function describe(code, message) {
  switch (code) {
    case 'CONSISTENCY_TIMEOUT':
      return 'The books are still catching up with your last change. Try again in a moment.';
    case 'FORBIDDEN':
      return 'Your role may not see or do this.';
    case 'UNAUTHENTICATED':
      return 'Sign in first.';
    default:
      return message;
  }
}

/** How long to wait before reconnecting a dropped subscription, at most. */
const RECONNECT_DELAY_MAX_MS = 10_000;

/**
 * Follows a subscription over graphql-transport-ws, reconnecting with
 * backoff. `onState` hears `live` once the server acknowledged the
 * subscription and `down` when the socket closed (the caller may poll
 * meanwhile). Returns a function that stops it.
 * @template R, V
 * @param {Operation<R, V>} operation
 * @param {V} variables
 * @param {{ next: (data: R) => void, state?: (state: 'live' | 'down') => void, error?: (error: ApiError) => void }} handlers
 * @returns {() => void}
 */
export function subscribe(operation, variables, handlers) {
  let stopped = false;
  let attempt = 0;
  /** @type {WebSocket | null} */
  let socket = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let retry;

  const connect = () => {
    const url = new URL('/graphql', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url, 'graphql-transport-ws');
    socket = ws;
    ws.onopen = () => {
      const token = session.value?.token;
      ws.send(JSON.stringify({ type: 'connection_init', payload: token ? { Authorization: `Bearer ${token}` } : {} }));
    };
    ws.onmessage = (event) => {
      /** @type {{ type: string, id?: string, payload?: any }} */
      const message = JSON.parse(event.data);
      switch (message.type) {
        case 'connection_ack':
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: operation, variables } }));
          attempt = 0;
          handlers.state?.('live');
          break;
        case 'ping':
          ws.send(JSON.stringify({ type: 'pong' }));
          break;
        case 'next':
          if (message.payload?.errors?.length) {
            const error = message.payload.errors[0];
            handlers.error?.(new ApiError('api', describe(error.extensions?.code ?? null, error.message), error.extensions?.code ?? null));
          } else if (message.payload?.data) {
            handlers.next(message.payload.data);
          }
          break;
        case 'error': {
          const error = message.payload?.[0];
          handlers.error?.(new ApiError('api', describe(error?.extensions?.code ?? null, error?.message ?? 'The subscription was refused.'), error?.extensions?.code ?? null));
          stopped = true;
          ws.close();
          break;
        }
        default:
          break;
      }
    };
    ws.onclose = () => {
      if (socket === ws) socket = null;
      if (stopped) return;
      handlers.state?.('down');
      const delay = Math.min(RECONNECT_DELAY_MAX_MS, 500 * 2 ** attempt);
      attempt += 1;
      retry = setTimeout(connect, delay);
    };
  };
  connect();
  return () => {
    stopped = true;
    clearTimeout(retry);
    socket?.close();
  };
}
