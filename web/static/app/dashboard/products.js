// The seller's products: create, publish, take off the storefront and put
// back, and change a price (new checkouts pay it; started ones keep theirs).
/** @import * as T from '../../../types/graphql' */
/** @import { Operation } from '../graphql.js' */
import { useState } from '../../vendor/hooks.mjs';
import { html } from '../html.js';
import { isAmount } from '../money.js';
import { Link } from '../router.js';
import { session } from '../session.js';
import { useStore } from '../store.js';
import { ErrorNotice, Field, FormErrors, Loaded, MoneyText, Page, StatusBadge, request, useAction, useLoad } from '../ui.js';
import { Done, PAGE_SIZE, SUMMARY_PAGES_MAX, Table } from './common.js';

/** @type {Operation<T.MyProductsQuery, T.MyProductsQueryVariables>} */
const MY_PRODUCTS = /* GraphQL */ `
  query MyProducts($first: Int, $after: String, $consistentAfter: Int) {
    products(first: $first, after: $after, consistentAfter: $consistentAfter) {
      edges { node { id title supplierProductId supplierCost { amount currency } price { amount currency } status owner } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

/** @typedef {T.MyProductsQuery['products']['edges'][number]['node']} ProductRow */

/**
 * The caller's products. A USER's `products` are their own and everyone's
 * published ones, mixed: read every page (up to a bound) and keep theirs.
 * @param {string} owner
 * @param {number | null} consistentAfter
 * @returns {Promise<ProductRow[]>}
 */
async function productsOf(owner, consistentAfter) {
  /** @type {ProductRow[]} */
  const rows = [];
  /** @type {string | null | undefined} */
  let after;
  for (let page = 0; page < SUMMARY_PAGES_MAX; page += 1) {
    const { products } = await request(MY_PRODUCTS, { first: PAGE_SIZE, after, consistentAfter });
    rows.push(...products.edges.map((edge) => edge.node).filter((product) => product.owner === owner));
    if (!products.pageInfo.hasNextPage) break;
    after = products.pageInfo.endCursor;
  }
  return rows;
}

/** @type {Operation<T.CreateProductMutation, T.CreateProductMutationVariables>} */
const CREATE_PRODUCT = /* GraphQL */ `
  mutation CreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) { product { id status } position userErrors { code message field } }
  }`;

/** @type {Operation<T.PublishProductMutation, T.PublishProductMutationVariables>} */
const PUBLISH_PRODUCT = /* GraphQL */ `
  mutation PublishProduct($id: ID!) {
    publishProduct(id: $id) { product { id status } position userErrors { code message field } }
  }`;

/** @type {Operation<T.UnpublishProductMutation, T.UnpublishProductMutationVariables>} */
const UNPUBLISH_PRODUCT = /* GraphQL */ `
  mutation UnpublishProduct($id: ID!) {
    unpublishProduct(id: $id) { product { id status } position userErrors { code message field } }
  }`;

/** @type {Operation<T.ChangeProductPriceMutation, T.ChangeProductPriceMutationVariables>} */
const CHANGE_PRODUCT_PRICE = /* GraphQL */ `
  mutation ChangeProductPrice($id: ID!, $price: MoneyInput!) {
    changeProductPrice(id: $id, price: $price) { product { id title price { amount currency } } position userErrors { code message field } }
  }`;

/** `/dashboard/products`: the caller's products and what can be done with them. */
export function Products() {
  const me = useStore(session);
  const [position, setPosition] = useState(/** @type {number | null} */ (null));
  const state = useLoad(() => productsOf(me?.user.id ?? '', position), [position]);
  const listing = useAction(async (/** @type {string} */ action, /** @type {string} */ id) => {
    const payload = action === 'publish'
      ? (await request(PUBLISH_PRODUCT, { id })).publishProduct
      : (await request(UNPUBLISH_PRODUCT, { id })).unpublishProduct;
    if (payload.userErrors.length) throw new Error(payload.userErrors[0].message);
    setPosition(payload.position);
  });
  /** @param {ProductRow} row */
  const actions = (row) => row.status === 'PUBLISHED'
    ? html`<${Link} href=${`/products/${row.id}`}>In the shop</${Link}>${' '}
        <button type="button" onClick=${() => listing.run('unpublish', row.id)} disabled=${listing.busy}
          aria-label=${`Unpublish ${row.title}`}>Unpublish</button>`
    : html`<button type="button" onClick=${() => listing.run('publish', row.id)} disabled=${listing.busy}
        aria-label=${`Publish ${row.title}`}>Publish</button>`;
  return html`
    <${Page} title="My products">
      <${Loaded} state=${state} render=${(/** @type {ProductRow[]} */ rows) => html`
        <${Table} caption="My products" rows=${rows} rowKey=${(/** @type {ProductRow} */ row) => row.id}
          empty="You have no products yet: create one below."
          columns=${[
            { label: 'Title', cell: (/** @type {ProductRow} */ row) => row.title },
            { label: 'Supplier product', cell: (/** @type {ProductRow} */ row) => html`<code>${row.supplierProductId}</code>` },
            { label: 'Cost', number: true, cell: (/** @type {ProductRow} */ row) => html`<${MoneyText} money=${row.supplierCost} />` },
            { label: 'Price', number: true, cell: (/** @type {ProductRow} */ row) => html`<${MoneyText} money=${row.price} />` },
            { label: 'Status', cell: (/** @type {ProductRow} */ row) => html`<${StatusBadge} status=${row.status} />` },
            { label: 'Action', cell: actions },
          ]} />
        ${listing.failure ? html`<${ErrorNotice} error=${listing.failure} />` : null}
        ${rows.length ? html`<${ChangePrice} products=${rows} onChanged=${setPosition} />` : null}`} />
      <${NewProduct} onCreated=${setPosition} />
    </${Page}>`;
}

/**
 * A new price for one of `products`.
 * @param {{ products: ProductRow[], onChanged: (position: number | null) => void }} props
 */
function ChangePrice({ products, onChanged }) {
  const [productId, setProductId] = useState(products[0].id);
  const [price, setPrice] = useState('');
  const [errors, setErrors] = useState(/** @type {import('../ui.js').UserError[]} */ ([]));
  const [changed, setChanged] = useState(/** @type {{ title: string, price: import('../money.js').Money } | null} */ (null));
  const change = useAction(async () => {
    setChanged(null);
    if (!isAmount(price)) {
      setErrors([{ code: 'INVALID_INPUT', message: 'An amount such as 29.99.', field: 'newPrice' }]);
      return;
    }
    const currency = products.find((product) => product.id === productId)?.price.currency ?? 'USD';
    const { changeProductPrice } = await request(CHANGE_PRODUCT_PRICE, { id: productId, price: { amount: price.trim(), currency } });
    // The API names the argument `price`; this form's field is `newPrice`.
    setErrors(changeProductPrice.userErrors.map((error) => ({ ...error, field: error.field?.startsWith('price') ? 'newPrice' : error.field })));
    if (changeProductPrice.product) {
      setPrice('');
      setChanged(changeProductPrice.product);
      onChanged(changeProductPrice.position);
    }
  });
  /** @param {Event} event */
  const submit = (event) => {
    event.preventDefault();
    change.run();
  };
  return html`
    <h2>Change a price</h2>
    <form class="form" onSubmit=${submit} novalidate>
      <div class="field">
        <label for="field-priceProduct">Product</label>
        <select id="field-priceProduct" value=${productId} onChange=${(/** @type {Event} */ event) => setProductId(/** @type {HTMLSelectElement} */ (event.currentTarget).value)}>
          ${products.map((product) => html`<option value=${product.id}>${product.title}</option>`)}
        </select>
      </div>
      <${Field} name="newPrice" label="New price" inputmode="decimal" value=${price} onInput=${setPrice} errors=${errors}
        hint="Above the supplier cost. Checkouts already started keep their price." />
      <${FormErrors} errors=${errors} fields=${['newPrice']} />
      ${change.failure ? html`<${ErrorNotice} error=${change.failure} retry=${() => change.run()} />` : null}
      ${changed ? html`<${Done}>${changed.title} now costs <${MoneyText} money=${changed.price} />.</${Done}>` : null}
      <button type="submit" disabled=${change.busy}>Change price</button>
    </form>`;
}

/**
 * The form that creates a DRAFT product.
 * @param {{ onCreated: (position: number | null) => void }} props
 */
function NewProduct({ onCreated }) {
  const [form, setForm] = useState({ title: '', supplierProductId: '', supplierCost: '', price: '' });
  const [errors, setErrors] = useState(/** @type {import('../ui.js').UserError[]} */ ([]));
  const [idempotencyKey, setKey] = useState(() => crypto.randomUUID());
  /** @param {keyof typeof form} name */
  const set = (name) => (/** @type {string} */ value) => setForm({ ...form, [name]: value });
  const create = useAction(async () => {
    /** @type {import('../ui.js').UserError[]} */
    const local = [];
    if (!isAmount(form.supplierCost)) local.push({ code: 'INVALID_INPUT', message: 'An amount such as 12.50.', field: 'supplierCost' });
    if (!isAmount(form.price)) local.push({ code: 'INVALID_INPUT', message: 'An amount such as 29.99.', field: 'price' });
    setErrors(local);
    if (local.length) return;
    const { createProduct } = await request(CREATE_PRODUCT, {
      input: {
        title: form.title,
        supplierProductId: form.supplierProductId,
        supplierCost: { amount: form.supplierCost.trim(), currency: 'USD' },
        price: { amount: form.price.trim(), currency: 'USD' },
        idempotencyKey,
      },
    });
    setErrors(createProduct.userErrors);
    if (createProduct.product) {
      setForm({ title: '', supplierProductId: '', supplierCost: '', price: '' });
      setKey(crypto.randomUUID());
      onCreated(createProduct.position);
    }
  });
  /** @param {Event} event */
  const submit = (event) => {
    event.preventDefault();
    create.run();
  };
  return html`
    <h2>New product</h2>
    <form class="form" onSubmit=${submit} novalidate>
      <${Field} name="title" label="Title" value=${form.title} onInput=${set('title')} errors=${errors} />
      <${Field} name="supplierProductId" label="AliExpress product id" value=${form.supplierProductId} onInput=${set('supplierProductId')} errors=${errors} />
      <${Field} name="supplierCost" label="Supplier cost (USD)" inputmode="decimal" value=${form.supplierCost} onInput=${set('supplierCost')} errors=${errors} />
      <${Field} name="price" label="Price (USD)" inputmode="decimal" value=${form.price} onInput=${set('price')} errors=${errors}
        hint="Above the supplier cost." />
      <${FormErrors} errors=${errors} fields=${['title', 'supplierProductId', 'supplierCost', 'price']} />
      ${create.failure ? html`<${ErrorNotice} error=${create.failure} retry=${() => create.run()} />` : null}
      <button type="submit" class="primary" disabled=${create.busy}>Create product</button>
    </form>`;
}
