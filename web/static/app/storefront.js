// The public storefront: the catalogue, a product page and buying it with
// PayPal, and the two pages PayPal sends the buyer back to.
/** @import * as T from '../../types/graphql' */
/** @import { Operation } from './graphql.js' */
import { useState } from '../vendor/hooks.mjs';
import { html } from './html.js';
import { Link, location_, navigate } from './router.js';
import { session, signOut } from './session.js';
import { useStore } from './store.js';
import { AuthForm } from './auth.js';
import { ErrorNotice, Field, FormErrors, Loaded, Loading, MoneyText, Page, request, useAction, useLoad } from './ui.js';

/** Products per page of the catalogue (the API allows up to 200). */
const CATALOGUE_PAGE_SIZE = 24;
/** Pages of the catalogue read to find one product (the API has no `product(id)`). */
const PRODUCT_SEARCH_PAGES_MAX = 20;
/** The most units one checkout may buy (the domain's QUANTITY_MAX). */
const QUANTITY_MAX = 100;

/** @type {Operation<T.StoreProductsQuery, T.StoreProductsQueryVariables>} */
const STORE_PRODUCTS = /* GraphQL */ `
  query StoreProducts($first: Int, $after: String) {
    products(first: $first, after: $after, status: PUBLISHED) {
      edges { node { id title price { amount currency } } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

/** @type {Operation<T.CreateCheckoutMutation, T.CreateCheckoutMutationVariables>} */
const CREATE_CHECKOUT = /* GraphQL */ `
  mutation CreateCheckout($input: CreateCheckoutInput!) {
    createCheckout(input: $input) { orderId providerOrderId approveUrl captureSecret userErrors { code message field } }
  }`;

/** @type {Operation<T.CaptureCheckoutMutation, T.CaptureCheckoutMutationVariables>} */
const CAPTURE_CHECKOUT = /* GraphQL */ `
  mutation CaptureCheckout($input: CaptureCheckoutInput!) {
    captureCheckout(input: $input) { order { id status } position userErrors { code message field } }
  }`;

/** @typedef {T.StoreProductsQuery['products']['edges'][number]['node']} StoreProduct */

/**
 * A picture for a product: the API has none yet, so a placeholder drawn
 * from the title (its initials on a colour of its own), in SVG elements
 * rather than an inline style or a data URL.
 * @param {{ title: string }} props
 */
export function ProductPicture({ title }) {
  let hash = 0;
  for (const character of title) hash = (hash * 31 + (character.codePointAt(0) ?? 0)) % 360;
  const initials = title.split(/\s+/).filter(Boolean).slice(0, 2).map((word) => word[0].toUpperCase()).join('');
  return html`
    <svg class="picture" viewBox="0 0 160 120" role="img" aria-label=${`No picture of ${title} yet`}>
      <rect width="160" height="120" fill=${`hsl(${hash} 45% 42%)`} />
      <text x="80" y="72" text-anchor="middle" font-size="40" fill="#fff">${initials}</text>
    </svg>`;
}

/** `/`: the published products. */
export function Catalogue() {
  const [pages, setPages] = useState(/** @type {StoreProduct[][]} */ ([]));
  const [cursor, setCursor] = useState(/** @type {string | null | undefined} */ (undefined));
  const state = useLoad(async () => {
    const { products } = await request(STORE_PRODUCTS, { first: CATALOGUE_PAGE_SIZE });
    setPages([products.edges.map((edge) => edge.node)]);
    setCursor(products.pageInfo.hasNextPage ? products.pageInfo.endCursor : null);
    return true;
  }, []);
  const more = useAction(async () => {
    const { products } = await request(STORE_PRODUCTS, { first: CATALOGUE_PAGE_SIZE, after: cursor });
    setPages((previous) => [...previous, products.edges.map((edge) => edge.node)]);
    setCursor(products.pageInfo.hasNextPage ? products.pageInfo.endCursor : null);
  });
  const products = pages.flat();
  return html`
    <${Page} title="The shop">
      <${Loaded} state=${state} label="Loading products…" render=${() =>
        products.length === 0
          ? html`<p>Nothing is for sale yet. Come back soon.</p>`
          : html`
            <ul class="catalogue" aria-label="Products">
              ${products.map(
                (product) => html`
                  <li key=${product.id} class="card">
                    <${Link} href=${`/products/${product.id}`}>
                      <${ProductPicture} title=${product.title} />
                      <span class="card-title">${product.title}</span>
                      <${MoneyText} money=${product.price} />
                    </${Link}>
                  </li>`,
              )}
            </ul>
            ${more.failure ? html`<${ErrorNotice} error=${more.failure} retry=${() => more.run()} />` : null}
            ${cursor ? html`<button type="button" onClick=${() => more.run()} disabled=${more.busy}>Show more products</button>` : null}`} />
    </${Page}>`;
}

/**
 * Finds a published product by id, page by page.
 * @param {string} id
 * @returns {Promise<StoreProduct | null>}
 */
async function findProduct(id) {
  /** @type {string | null | undefined} */
  let after;
  for (let page = 0; page < PRODUCT_SEARCH_PAGES_MAX; page += 1) {
    const { products } = await request(STORE_PRODUCTS, { first: 200, after });
    const found = products.edges.find((edge) => edge.node.id === id);
    if (found) return found.node;
    if (!products.pageInfo.hasNextPage) return null;
    after = products.pageInfo.endCursor;
  }
  return null;
}

/** The checkouts this tab started: PayPal's order id → ours and its capture secret. */
const CHECKOUTS_KEY = 'dropledger.checkouts';
/** A started checkout is remembered this long (PayPal's approval expires sooner). */
const CHECKOUT_REMEMBERED_MS = 24 * 60 * 60 * 1000;

/** @typedef {{ orderId: string, captureSecret: string, productId: string, at: number }} StartedCheckout */

/** @returns {Record<string, StartedCheckout>} */
function checkouts() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(CHECKOUTS_KEY) ?? '{}');
    return saved && typeof saved === 'object' ? saved : {};
  } catch {
    return {};
  }
}

/**
 * Remembers a checkout so that PayPal's return, which names only PayPal's
 * order, finds ours and the capture secret only this tab was given (the
 * server captures only with it). sessionStorage, like the session: it
 * survives PayPal's redirect in this tab and goes with the tab.
 * @param {string} providerOrderId @param {Omit<StartedCheckout, 'at'>} started
 */
function rememberCheckout(providerOrderId, started) {
  const now = Date.now();
  const kept = Object.fromEntries(Object.entries(checkouts()).filter(([, entry]) => now - entry.at < CHECKOUT_REMEMBERED_MS));
  kept[providerOrderId] = { ...started, at: now };
  sessionStorage.setItem(CHECKOUTS_KEY, JSON.stringify(kept));
}

/** Forgets a captured checkout and its secret. @param {string} providerOrderId */
function forgetCheckout(providerOrderId) {
  const kept = checkouts();
  delete kept[providerOrderId];
  sessionStorage.setItem(CHECKOUTS_KEY, JSON.stringify(kept));
}

/** @param {{ id: string }} props — `/products/:id`. */
export function ProductPage({ id }) {
  const state = useLoad(() => findProduct(id), [id]);
  return html`
    <${Loaded} state=${state} label="Loading the product…" render=${(/** @type {StoreProduct | null} */ product) =>
      product
        ? html`<${Product} product=${product} />`
        : html`<${Page} title="Not for sale"><p>This product is not for sale. <${Link} href="/">See what is</${Link}>.</p></${Page}>`} />`;
}

/** @param {{ product: StoreProduct }} props */
function Product({ product }) {
  const [quantity, setQuantity] = useState('1');
  // One key per visit of the page: a double click or a retry after a
  // network error starts the same checkout, not a second one.
  const [idempotencyKey] = useState(() => crypto.randomUUID());
  const [errors, setErrors] = useState(/** @type {import('./ui.js').UserError[]} */ ([]));
  const buy = useAction(async () => {
    const units = Number.parseInt(quantity, 10);
    if (!(units >= 1 && units <= QUANTITY_MAX)) {
      setErrors([{ code: 'INVALID_INPUT', message: `Choose 1 to ${QUANTITY_MAX}.`, field: 'quantity' }]);
      return;
    }
    const { createCheckout } = await request(CREATE_CHECKOUT, {
      input: { productId: product.id, quantity: units, idempotencyKey: `${idempotencyKey}-${units}` },
    });
    setErrors(createCheckout.userErrors);
    const { approveUrl, orderId, providerOrderId, captureSecret } = createCheckout;
    if (approveUrl && orderId && providerOrderId && captureSecret) {
      const target = new URL(approveUrl);
      if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new Error('PayPal gave an approval address that is not a web page');
      rememberCheckout(providerOrderId, { orderId, captureSecret, productId: product.id });
      location.assign(target.href);
    }
  });
  /** @param {Event} event */
  const submit = (event) => {
    event.preventDefault();
    buy.run();
  };
  return html`
    <${Page} title=${product.title}>
      <div class="product">
        <${ProductPicture} title=${product.title} />
        <div>
          <p class="price"><${MoneyText} money=${product.price} /></p>
          <form class="form" onSubmit=${submit} novalidate>
            <${Field} name="quantity" label="Quantity" type="number" inputmode="numeric" min="1" max=${String(QUANTITY_MAX)} step="1"
              value=${quantity} onInput=${setQuantity} errors=${errors} />
            <${FormErrors} errors=${errors} fields=${['quantity', 'productId']} />
            ${buy.failure ? html`<${ErrorNotice} error=${buy.failure} retry=${() => buy.run()} />` : null}
            <button type="submit" class="primary" disabled=${buy.busy}>Buy with PayPal</button>
            <p class="hint">You approve the payment at PayPal and come back here to confirm it.</p>
          </form>
        </div>
      </div>
    </${Page}>`;
}

/**
 * `/checkout/return?token=…`: PayPal approved the payment. The buyer signs
 * in (or registers) here if needed, then the payment is captured and the
 * order page follows the order.
 */
export function CheckoutReturn() {
  const { query } = useStore(location_);
  const signedIn = useStore(session);
  const providerOrderId = query.get('token');
  const entry = providerOrderId ? checkouts()[providerOrderId] : undefined;
  const [mode, setMode] = useState(/** @type {'signin' | 'register'} */ ('signin'));
  if (!providerOrderId || !entry) {
    return html`
      <${Page} title="Checkout not found">
        <p>This browser tab did not start this checkout, or it was too long ago. Nothing was charged.
          <${Link} href="/">Back to the shop</${Link}>.</p>
      </${Page}>`;
  }
  if (!signedIn) {
    return html`
      <${Page} title="Confirm your payment">
        <p>PayPal approved your payment. Sign in or create an account to confirm it: the order will be yours to follow.
          Nothing is charged until you confirm.</p>
        <${AuthForm} mode=${mode} onMode=${setMode} done=${() => {}} />
      </${Page}>`;
  }
  return html`<${Capture} providerOrderId=${providerOrderId} orderId=${entry.orderId} captureSecret=${entry.captureSecret} />`;
}

/**
 * Captures as soon as it is shown; the order page on success.
 * @param {{ providerOrderId: string, orderId: string, captureSecret: string }} props
 */
function Capture({ providerOrderId, orderId, captureSecret }) {
  const [errors, setErrors] = useState(/** @type {import('./ui.js').UserError[]} */ ([]));
  const state = useLoad(async () => {
    const { captureCheckout } = await request(CAPTURE_CHECKOUT, { input: { orderId, captureSecret } });
    // A token that expired since sign-in reads as anonymous: sign in again
    // (the checkout page then shows the form) rather than show the refusal.
    if (captureCheckout.userErrors.some((error) => error.code === 'UNAUTHENTICATED')) {
      signOut();
      return captureCheckout;
    }
    setErrors(captureCheckout.userErrors);
    if (captureCheckout.order) {
      forgetCheckout(providerOrderId);
      navigate(`/orders/${captureCheckout.order.id}`, { replace: true });
    }
    return captureCheckout;
  }, [orderId]);
  return html`
    <${Page} title="Confirming your payment">
      ${state.error ? html`<${ErrorNotice} error=${state.error} retry=${state.reload} />` : null}
      ${state.loading ? html`<${Loading} label="Confirming your payment with PayPal…" />` : null}
      ${errors.length
        ? html`<${FormErrors} errors=${errors} />
            <p><${Link} href=${`/orders/${orderId}`}>See the order</${Link}> or <${Link} href="/">go back to the shop</${Link}>.</p>`
        : null}
    </${Page}>`;
}

/** `/checkout/cancel`: the buyer cancelled at PayPal. */
export function CheckoutCancel() {
  return html`
    <${Page} title="Checkout cancelled">
      <p>You cancelled the payment at PayPal. Nothing was charged.</p>
      <p><${Link} href="/">Back to the shop</${Link}></p>
    </${Page}>`;
}
