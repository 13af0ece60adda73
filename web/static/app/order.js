// `/orders/:id`: one order, followed live. The `orderUpdated` subscription
// pushes each change; while its socket is down the page asks every few
// seconds instead, and it reads the order again whenever the subscription
// (re)starts, as changes before that are not sent.
/** @import * as T from '../../types/graphql' */
/** @import { Operation } from './graphql.js' */
import { useEffect, useState } from '../vendor/hooks.mjs';
import { html } from './html.js';
import { subscribe } from './graphql.js';
import { Link } from './router.js';
import { session } from './session.js';
import { useStore } from './store.js';
import { ErrorNotice, failureInWords, formatTime, Loading, MoneyText, Page, request, StatusBadge } from './ui.js';

/** How often to read the order while the subscription is down. */
const POLL_INTERVAL_MS = 3_000;
/**
 * How often to read it while the subscription is up: a safety net, so a
 * message lost between server and page costs seconds, not the page's truth.
 */
const POLL_LIVE_INTERVAL_MS = 10_000;

/** @type {Operation<T.OrderPageQuery, T.OrderPageQueryVariables>} */
const ORDER_PAGE = /* GraphQL */ `
  query OrderPage($id: ID!) {
    order(id: $id) { id status failureReason price { amount currency } supplierOrderId history { eventType recordedAt payload } }
  }`;

/** @type {Operation<T.OrderLiveSubscription, T.OrderLiveSubscriptionVariables>} */
const ORDER_LIVE = /* GraphQL */ `
  subscription OrderLive($id: ID!) {
    orderUpdated(orderId: $id) { id status failureReason price { amount currency } supplierOrderId history { eventType recordedAt payload } }
  }`;

/** @typedef {NonNullable<T.OrderPageQuery['order']>} OrderView */

/** The steps an order goes through when all goes well. */
const STEPS = [
  ['PAID', 'Paid'],
  ['PURCHASING', 'Buying from the supplier'],
  ['PURCHASED', 'Ordered from the supplier'],
  ['SHIPPED', 'Shipped'],
];

/**
 * The tracking the supplier gave, from the order's `OrderShipped` event.
 * @param {OrderView} order
 * @returns {{ trackingNumber: string, carrier: string } | null}
 */
function shipment(order) {
  const shipped = [...order.history].reverse().find((event) => event.eventType === 'OrderShipped');
  const payload = /** @type {{ tracking_number?: unknown, carrier?: unknown } | null} */ (shipped?.payload ?? null);
  if (!payload || typeof payload.tracking_number !== 'string') return null;
  return { trackingNumber: payload.tracking_number, carrier: typeof payload.carrier === 'string' ? payload.carrier : '' };
}

/** @param {{ id: string }} props */
export function OrderPage({ id }) {
  const signedIn = useStore(session);
  const [order, setOrder] = useState(/** @type {OrderView | null} */ (null));
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [live, setLive] = useState(/** @type {'connecting' | 'live' | 'down'} */ ('connecting'));
  const [attempt, setAttempt] = useState(0);
  // Messages the subscription pushed: shown to tests, which tell a live
  // update from a poll by it.
  const [pushed, setPushed] = useState(0);

  useEffect(() => {
    if (!signedIn) return undefined;
    let stopped = false;
    const read = () =>
      request(ORDER_PAGE, { id }).then(
        (data) => {
          if (stopped) return;
          setError(null);
          setOrder(data.order ?? null);
          if (!data.order) setError(new Error('not found'));
        },
        (failure) => !stopped && setError(failure),
      );
    read();
    /** @type {ReturnType<typeof setInterval> | undefined} */
    let poll;
    const stop = subscribe(ORDER_LIVE, { id }, {
      next: (data) => {
        setOrder(data.orderUpdated);
        setPushed((count) => count + 1);
      },
      state: (state) => {
        setLive(state);
        clearInterval(poll);
        if (state === 'down') {
          poll = setInterval(read, POLL_INTERVAL_MS);
        } else {
          read();
          poll = setInterval(read, POLL_LIVE_INTERVAL_MS);
        }
      },
      error: (failure) => setError(failure),
    });
    return () => {
      stopped = true;
      clearInterval(poll);
      stop();
    };
  }, [id, signedIn?.token, attempt]);

  if (!signedIn) {
    return html`
      <${Page} title="Your order">
        <p>Sign in to see this order. <${Link} href=${`/signin?next=${encodeURIComponent(`/orders/${id}`)}`}>Sign in</${Link}></p>
      </${Page}>`;
  }
  if (error && !order) {
    const missing = error instanceof Error && error.message === 'not found';
    return html`
      <${Page} title="Your order">
        ${missing
          ? html`<p>There is no such order, or it is not yours to see.</p>`
          : html`<${ErrorNotice} error=${error} retry=${() => setAttempt(attempt + 1)} />`}
      </${Page}>`;
  }
  if (!order) return html`<${Page} title="Your order"><${Loading} label="Loading the order…" /></${Page}>`;

  const shipped = shipment(order);
  const status = shipped && order.status === 'PURCHASED' ? 'SHIPPED' : order.status;
  const reached = STEPS.findIndex(([step]) => step === status);
  return html`
    <${Page} title="Your order">
      <p class="order-status" aria-live="polite">
        <span class="visually-hidden">Status: </span><${StatusBadge} status=${status} />
      </p>
      <p class="live" data-live=${live} data-pushed=${pushed}>
        ${live === 'live' ? 'Updates as it happens.' : live === 'down' ? 'Reconnecting; checking every few seconds meanwhile.' : 'Connecting…'}
      </p>
      ${error ? html`<${ErrorNotice} error=${error} retry=${() => setAttempt(attempt + 1)} />` : null}
      ${order.status === 'FAILED'
        ? html`<div class="notice error" role="alert"><p>${failureInWords(order.failureReason)}</p></div>`
        : order.status === 'REFUNDED'
          ? html`<div class="notice"><p>Your payment was refunded.</p></div>`
          : order.status === 'CREATED'
            ? html`<div class="notice"><p>Waiting for your payment to be confirmed.</p></div>`
            : order.status === 'AWAITING_PAYMENT_CLEARANCE'
              ? html`<div class="notice"><p>PayPal is still reviewing your payment. Nothing is bought until it clears; if PayPal declines it, the order is cancelled and no money is taken.</p></div>`
            : html`
              <ol class="steps" aria-label="Progress">
                ${STEPS.map(([step, words], index) => html`
                  <li key=${step} class=${index <= reached ? 'done' : ''} aria-current=${index === reached ? 'step' : undefined}>${words}</li>`)}
              </ol>`}
      <dl class="facts">
        <dt>Order</dt><dd><code>${order.id}</code></dd>
        <dt>Price</dt><dd><${MoneyText} money=${order.price} /></dd>
        ${order.supplierOrderId ? html`<dt>Supplier order</dt><dd><code>${order.supplierOrderId}</code></dd>` : null}
        ${shipped ? html`<dt>Tracking number</dt><dd><code class="tracking">${shipped.trackingNumber}</code>${shipped.carrier ? ` (${shipped.carrier})` : ''}</dd>` : null}
      </dl>
      <h2>History</h2>
      <ol class="history">
        ${order.history.map((event) => html`<li key=${event.recordedAt + event.eventType}><time>${formatTime(event.recordedAt)}</time> ${event.eventType}</li>`)}
      </ol>
      <p><${Link} href="/">Back to the shop</${Link}></p>
    </${Page}>`;
}
