// Pieces every view uses: a page with its heading, loading and error
// states with a retry, form fields that show the userError naming them,
// money, and a hook that runs a query.
import { useCallback, useEffect, useRef, useState } from '../vendor/hooks.mjs';
import { html } from './html.js';
import { ApiError, request } from './graphql.js';
import { formatMoney } from './money.js';

/**
 * A page: sets the document title and moves focus to the heading when the
 * page changes, so a screen reader announces where the user now is.
 * @param {{ title: string, children?: any, actions?: any }} props
 */
export function Page({ title, children, actions }) {
  const heading = useRef(/** @type {HTMLHeadingElement | null} */ (null));
  useEffect(() => {
    document.title = `${title} · dropledger`;
    heading.current?.focus({ preventScroll: true });
  }, [title]);
  return html`
    <section class="page">
      <header class="page-head">
        <h1 tabindex="-1" ref=${heading}>${title}</h1>
        ${actions}
      </header>
      ${children}
    </section>`;
}

/** @param {{ label?: string }} props */
export function Loading({ label = 'Loading…' }) {
  return html`<p class="loading" role="status">${label}</p>`;
}

/**
 * An error in words, with a retry button when trying again may help.
 * @param {{ error: unknown, retry?: () => void }} props
 */
export function ErrorNotice({ error, retry }) {
  const api = error instanceof ApiError ? error : null;
  const message = api ? api.message : 'Something went wrong in the page. Reload it and try again.';
  if (!api) console.error(error);
  return html`
    <div class="notice error" role="alert">
      <p>${message}</p>
      ${retry && (!api || api.retryable) ? html`<button type="button" onClick=${retry}>Try again</button>` : null}
    </div>`;
}

/** @param {{ money: import('./money.js').Money | null | undefined }} props */
export function MoneyText({ money }) {
  return html`<span class="money">${formatMoney(money)}</span>`;
}

/**
 * @template T
 * @typedef {{ data: T | null, error: unknown, loading: boolean, reload: () => void, setData: (data: T) => void }} QueryState
 */

/**
 * Runs `load` when `key` changes (and on `reload`); its data, error and state.
 * A load that finishes after a newer one started is dropped.
 * @template T
 * @param {() => Promise<T>} load
 * @param {any[]} key
 * @returns {QueryState<T>}
 */
export function useLoad(load, key) {
  const [state, setState] = useState(/** @type {{ data: T | null, error: unknown, loading: boolean }} */ ({ data: null, error: null, loading: true }));
  const generation = useRef(0);
  const run = useCallback(() => {
    generation.current += 1;
    const mine = generation.current;
    setState((previous) => ({ ...previous, error: null, loading: true }));
    load().then(
      (data) => mine === generation.current && setState({ data, error: null, loading: false }),
      (error) => mine === generation.current && setState({ data: null, error, loading: false }),
    );
  }, key);
  useEffect(run, [run]);
  return {
    ...state,
    reload: run,
    setData: (data) => setState({ data, error: null, loading: false }),
  };
}

/**
 * A query's result as a view needs it: loading, error with retry, or `render(data)`.
 * @template T
 * @param {{ state: QueryState<T>, render: (data: T) => any, label?: string }} props
 */
export function Loaded({ state, render, label }) {
  if (state.error) return html`<${ErrorNotice} error=${state.error} retry=${state.reload} />`;
  if (state.data === null) return html`<${Loading} label=${label} />`;
  return render(state.data);
}

/** @typedef {{ code: string, message: string, field?: string | null }} UserError */

/**
 * The userError that names `field` (its last dotted part or the whole
 * path, e.g. `input.price.amount` names `price.amount` and `amount`).
 * @param {UserError[]} errors
 * @param {string} field
 */
export function errorFor(errors, field) {
  return errors.find((error) => {
    const path = (error.field ?? '').replace(/^input\./, '');
    return path === field || path.split('.').pop() === field;
  });
}

/**
 * The userErrors that name no field shown in the form.
 * @param {UserError[]} errors
 * @param {string[]} fields
 */
export function otherErrors(errors, fields) {
  return errors.filter((error) => !fields.some((field) => errorFor([error], field)));
}

/**
 * A labelled input with its error, announced with it.
 * @param {{ name: string, label: string, value: string, onInput: (value: string) => void, errors?: UserError[], type?: string, autocomplete?: string, required?: boolean, hint?: string, inputmode?: string, min?: string, max?: string, step?: string }} props
 */
export function Field({ name, label, value, onInput, errors = [], type = 'text', autocomplete, required = true, hint, inputmode, min, max, step }) {
  const id = `field-${name}`;
  const error = errorFor(errors, name);
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return html`
    <div class=${`field${error ? ' invalid' : ''}`}>
      <label for=${id}>${label}</label>
      ${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : null}
      <input id=${id} name=${name} type=${type} value=${value} required=${required}
        autocomplete=${autocomplete} inputmode=${inputmode} min=${min} max=${max} step=${step}
        aria-invalid=${error ? 'true' : undefined} aria-describedby=${described}
        onInput=${(/** @type {InputEvent} */ event) => onInput(/** @type {HTMLInputElement} */ (event.currentTarget).value)} />
      ${error ? html`<p class="field-error" id=${`${id}-error`}>${error.message}</p>` : null}
    </div>`;
}

/**
 * Errors of a form that no field shows.
 * @param {{ errors: UserError[], fields?: string[] }} props
 */
export function FormErrors({ errors, fields = [] }) {
  const rest = otherErrors(errors, fields);
  if (!rest.length) return null;
  return html`<div class="notice error" role="alert">${rest.map((error) => html`<p>${error.message}</p>`)}</div>`;
}

/**
 * A mutation run from a form: `run(…)` sets `busy`, keeps its userErrors
 * for the fields and a request failure for the notice.
 * @template A, R
 * @param {(...args: A[]) => Promise<R>} action
 */
export function useAction(action) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(/** @type {unknown} */ (null));
  /** @param {A[]} args @returns {Promise<R | null>} */
  const run = async (...args) => {
    setBusy(true);
    setFailure(null);
    try {
      return await action(...args);
    } catch (error) {
      setFailure(error);
      return null;
    } finally {
      setBusy(false);
    }
  };
  return { busy, failure, run, clear: () => setFailure(null) };
}

export { request };

/**
 * Order and product statuses in words.
 * @type {Record<string, string>}
 */
export const STATUS_WORDS = {
  CREATED: 'Waiting for payment',
  AWAITING_PAYMENT_CLEARANCE: 'Waiting for PayPal to clear the payment',
  PAID: 'Paid',
  PURCHASING: 'Buying from the supplier',
  PURCHASED: 'Ordered from the supplier',
  SHIPPED: 'Shipped',
  FAILED: 'Could not be fulfilled',
  REFUND_REQUESTED: 'Refund on its way',
  REFUNDED: 'Refunded',
  SUPPLIER_CANCELLED: 'Cancelled by the supplier — refund the customer',
  DRAFT: 'Draft',
  PUBLISHED: 'Published',
  UNPUBLISHED: 'Unpublished',
  PENDING: 'Pending',
  SENT: 'Sent',
  PAYOUT_SKIPPED_INSUFFICIENT_FUNDS: 'Waiting for funds',
  CANCELLED: 'Cancelled',
};

/** @param {{ status: string }} props */
export function StatusBadge({ status }) {
  return html`<span class=${`badge badge-${status.toLowerCase()}`}>${STATUS_WORDS[status] ?? status}</span>`;
}

/**
 * Why an order failed, in words a buyer understands.
 * @type {Record<string, string>}
 */
export const FAILURE_WORDS = {
  FAILED_INSUFFICIENT_FUNDS: 'The shop could not cover the purchase from its working capital right now. You will be refunded if it cannot be retried.',
  FAILED_SUPPLIER_PRICE_ROSE: 'The supplier raised the price above what the shop can sell it for.',
  FAILED_OUT_OF_STOCK: 'The supplier ran out of stock.',
  FAILED_SUPPLIER_REJECTED: 'The supplier refused the order.',
  FAILED_SUPPLIER_UNAVAILABLE: 'The supplier could not be reached.',
  FAILED_SUPPLIER_NOT_CONNECTED: 'The seller has not connected their supplier account yet.',
  FAILED_NO_SHIPPING_ADDRESS: 'PayPal gave no complete shipping address (with a phone number) to ship to.',
  FAILED_PAYMENT_DENIED: 'PayPal did not clear the payment, so nothing was bought and no money was taken.',
};

/** @param {string | null | undefined} reason */
export function failureInWords(reason) {
  if (!reason) return 'The order could not be fulfilled.';
  return FAILURE_WORDS[reason] ?? `The order could not be fulfilled (${reason}).`;
}

/** @param {string | null | undefined} iso */
export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
