// The seller's sections: orders (with refunds, and for an admin every
// order with retry), sales with the money breakdown, payouts, and the
// account (payout method, AliExpress connection, stored credentials).
// Products are in products.js.
/** @import * as T from '../../../types/graphql' */
/** @import { Operation } from '../graphql.js' */
import { useState } from '../../vendor/hooks.mjs';
import { html } from '../html.js';
import { add, decimal, toAmount } from '../money.js';
import { Link } from '../router.js';
import { session } from '../session.js';
import { useStore } from '../store.js';
import { ErrorNotice, Field, FormErrors, Loaded, MoneyText, Page, StatusBadge, failureInWords, formatTime, request, useAction, useLoad } from '../ui.js';
import { BarChart, CountChart } from './charts.js';
import { Done, PAGE_SIZE, Refresh, SUMMARY_PAGES_MAX, ShortId, Table, useLiveReload } from './common.js';


/** @type {Operation<T.DashboardOrdersQuery, T.DashboardOrdersQueryVariables>} */
const ORDERS = /* GraphQL */ `
  query DashboardOrders($first: Int, $after: String, $consistentAfter: Int) {
    orders(first: $first, after: $after, consistentAfter: $consistentAfter) {
      edges { node { id status failureReason price { amount currency } supplierOrderId owner buyer buyerProfile { displayName } } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

/** @type {Operation<T.RefundOrderMutation, T.RefundOrderMutationVariables>} */
const REFUND_ORDER = /* GraphQL */ `
  mutation RefundOrder($input: RefundOrderInput!) {
    refundOrder(input: $input) { order { id status } providerRefundId position userErrors { code message field } }
  }`;

/** @type {Operation<T.RetryFulfilmentMutation, T.RetryFulfilmentMutationVariables>} */
const RETRY_FULFILMENT = /* GraphQL */ `
  mutation RetryFulfilment($orderId: ID!) {
    retryFulfilment(orderId: $orderId) { order { id status } userErrors { code message field } }
  }`;

/** @typedef {T.DashboardOrdersQuery['orders']['edges'][number]['node']} OrderRow */

/**
 * Every order the caller may see, page after page (up to a bound).
 * @param {number | null} consistentAfter
 * @returns {Promise<OrderRow[]>}
 */
export async function allOrders(consistentAfter = null) {
  /** @type {OrderRow[]} */
  const rows = [];
  /** @type {string | null | undefined} */
  let after;
  for (let page = 0; page < SUMMARY_PAGES_MAX; page += 1) {
    const { orders } = await request(ORDERS, { first: PAGE_SIZE, after, consistentAfter });
    rows.push(...orders.edges.map((edge) => edge.node));
    if (!orders.pageInfo.hasNextPage) break;
    after = orders.pageInfo.endCursor;
  }
  return rows;
}

/** The order funnel's stages, in order. */
const FUNNEL = [
  ['CREATED', 'Checkout started'],
  ['AWAITING_PAYMENT_CLEARANCE', 'Payment pending'],
  ['PAID', 'Paid'],
  ['PURCHASING', 'Buying'],
  ['PURCHASED', 'Purchased'],
  ['FAILED', 'Failed'],
  ['REFUND_REQUESTED', 'Refunding'],
  ['REFUNDED', 'Refunded'],
  ['SUPPLIER_CANCELLED', 'Supplier cancelled'],
];

/** `/dashboard/orders`: orders the caller sells or bought (ADMIN: all). */
export function Orders() {
  const me = useStore(session);
  const admin = me?.user.role === 'ADMIN';
  const [position, setPosition] = useState(/** @type {number | null} */ (null));
  const [message, setMessage] = useState('');
  // A refund asks twice: the first press turns the button into a confirmation.
  const [confirming, setConfirming] = useState(/** @type {string | null} */ (null));
  const state = useLoad(() => allOrders(position), [position]);
  useLiveReload(setPosition, admin || me?.user.role === 'ACCOUNTANT');
  const refund = useAction(async (/** @type {OrderRow} */ order) => {
    if (confirming !== order.id) {
      setConfirming(order.id);
      return;
    }
    setConfirming(null);
    const { refundOrder } = await request(REFUND_ORDER, {
      input: { orderId: order.id, amount: { amount: order.price.amount, currency: order.price.currency }, reason: 'Refunded by the seller' },
    });
    if (refundOrder.userErrors.length) throw new Error(refundOrder.userErrors.map((error) => error.message).join(' '));
    setMessage(`Order ${order.id.slice(0, 8)} refunded.`);
    setPosition(refundOrder.position);
  });
  const retry = useAction(async (/** @type {OrderRow} */ order) => {
    const { retryFulfilment } = await request(RETRY_FULFILMENT, { orderId: order.id });
    if (retryFulfilment.userErrors.length) throw new Error(retryFulfilment.userErrors.map((error) => error.message).join(' '));
    setMessage(`Fulfilment of order ${order.id.slice(0, 8)} started again.`);
    state.reload();
  });
  // A payment PayPal denied was never received: nothing to refund or retry.
  const denied = (/** @type {OrderRow} */ order) => order.failureReason === 'FAILED_PAYMENT_DENIED';
  const refundable = (/** @type {OrderRow} */ order) =>
    // A supplier-cancelled order is refunded in full in one step, as one never fulfilled.
    ['PAID', 'FAILED', 'SUPPLIER_CANCELLED'].includes(order.status) && !denied(order) && (admin || order.owner === me?.user.id);
  return html`
    <${Page} title=${admin ? 'All orders' : 'My orders'} actions=${html`<${Refresh} onClick=${state.reload} busy=${state.loading} />`}>
      ${admin || me?.user.role === 'ACCOUNTANT' ? html`<p class="live">Updates as orders change.</p>` : null}
      ${message ? html`<${Done}><p>${message}</p></${Done}>` : null}
      ${refund.failure ? html`<${ErrorNotice} error=${refund.failure} />` : null}
      ${retry.failure ? html`<${ErrorNotice} error=${retry.failure} />` : null}
      <${Loaded} state=${state} render=${(/** @type {OrderRow[]} */ rows) => html`
        <${CountChart} title="The order funnel" rows=${FUNNEL.map(([status, label]) => ({ label, count: rows.filter((row) => row.status === status).length }))} />
        <${Table} caption="Orders" rows=${[...rows].reverse()} rowKey=${(/** @type {OrderRow} */ row) => row.id}
          columns=${[
            { label: 'Order', cell: (/** @type {OrderRow} */ row) => html`<${Link} href=${`/orders/${row.id}`}><${ShortId} id=${row.id} /></${Link}>` },
            { label: 'Status', cell: (/** @type {OrderRow} */ row) => html`<${StatusBadge} status=${row.status} />${row.status === 'FAILED' ? html`<br /><small>${failureInWords(row.failureReason)}</small>` : null}` },
            { label: 'Price', number: true, cell: (/** @type {OrderRow} */ row) => html`<${MoneyText} money=${row.price} />` },
            { label: 'Role', cell: (/** @type {OrderRow} */ row) => (row.owner === me?.user.id ? 'Sold' : row.buyer === me?.user.id ? 'Bought' : 'Other seller') },
            { label: 'Buyer', cell: (/** @type {OrderRow} */ row) => row.buyerProfile?.displayName ?? '—' },
            {
              label: 'Action',
              cell: (/** @type {OrderRow} */ row) => html`
                ${refundable(row)
                  ? html`<button type="button" class=${confirming === row.id ? 'primary' : ''} onClick=${() => refund.run(row)} disabled=${refund.busy}>
                      ${confirming === row.id ? html`Confirm refund of <${MoneyText} money=${row.price} />` : 'Refund'}</button>`
                  : null}
                ${row.status === 'FAILED' && !denied(row) && (admin || row.owner === me?.user.id)
                  ? html` <button type="button" onClick=${() => retry.run(row)} disabled=${retry.busy} aria-label=${`Retry fulfilment of order ${row.id.slice(0, 8)}`}>Retry fulfilment</button>`
                  : null}`,
            },
          ]} />`} />
    </${Page}>`;
}

/** @type {Operation<T.DashboardSalesQuery, T.DashboardSalesQueryVariables>} */
const SALES = /* GraphQL */ `
  query DashboardSales($first: Int, $after: String) {
    sales(first: $first, after: $after) {
      edges { node { id orderId salePrice { amount currency } supplierCost { amount currency } grossProfit { amount currency }
        commissionRate commission { amount currency } fees { amount currency } netProfit { amount currency } recordedAt } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

/** @typedef {T.DashboardSalesQuery['sales']['edges'][number]['node']} SaleRow */

/** @returns {Promise<SaleRow[]>} */
async function allSales() {
  /** @type {SaleRow[]} */
  const rows = [];
  /** @type {string | null | undefined} */
  let after;
  for (let page = 0; page < SUMMARY_PAGES_MAX; page += 1) {
    const { sales } = await request(SALES, { first: PAGE_SIZE, after });
    rows.push(...sales.edges.map((edge) => edge.node));
    if (!sales.pageInfo.hasNextPage) break;
    after = sales.pageInfo.endCursor;
  }
  return rows;
}

/**
 * Revenue and net profit per day (UTC), summed exactly.
 * @param {SaleRow[]} sales
 */
export function perDay(sales) {
  /** @type {Map<string, [import('../money.js').Decimal, import('../money.js').Decimal]>} */
  const days = new Map();
  for (const sale of sales) {
    const day = sale.recordedAt.slice(0, 10);
    const [revenue, profit] = days.get(day) ?? [decimal('0'), decimal('0')];
    days.set(day, [add(revenue, decimal(sale.salePrice.amount)), add(profit, decimal(sale.netProfit.amount))]);
  }
  return [...days.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, [revenue, profit]]) => ({
    label: day.slice(5),
    values: [toAmount(revenue), toAmount(profit)],
  }));
}

/** `/dashboard/sales`: recorded sales with every amount. */
export function Sales() {
  const state = useLoad(allSales, []);
  /** @param {keyof SaleRow} field */
  const money = (field) => (/** @type {SaleRow} */ row) => html`<${MoneyText} money=${/** @type {any} */ (row[field])} />`;
  return html`
    <${Page} title="Sales" actions=${html`<${Refresh} onClick=${state.reload} busy=${state.loading} />`}>
      <${Loaded} state=${state} render=${(/** @type {SaleRow[]} */ rows) => html`
        <${BarChart} title="Revenue and net profit per day" series=${['Revenue', 'Net profit']} groups=${perDay(rows)}
          currency=${rows[0]?.salePrice.currency ?? 'USD'} />
        <${Table} caption="Sales and where the money went" rows=${[...rows].reverse()} rowKey=${(/** @type {SaleRow} */ row) => row.id}
          empty="No sales yet."
          columns=${[
            { label: 'Order', cell: (/** @type {SaleRow} */ row) => html`<${Link} href=${`/orders/${row.orderId}`}><${ShortId} id=${row.orderId} /></${Link}>` },
            { label: 'Recorded', cell: (/** @type {SaleRow} */ row) => formatTime(row.recordedAt) },
            { label: 'Sale price', number: true, cell: money('salePrice') },
            { label: 'Supplier cost', number: true, cell: money('supplierCost') },
            { label: 'Gross profit', number: true, cell: money('grossProfit') },
            { label: 'Commission', number: true, cell: (/** @type {SaleRow} */ row) => html`<${MoneyText} money=${row.commission} /> <small>(${row.commissionRate} %)</small>` },
            { label: 'Fees', number: true, cell: money('fees') },
            { label: 'Net profit', number: true, cell: money('netProfit') },
          ]} />`} />
    </${Page}>`;
}

/** @type {Operation<T.DashboardPayoutsQuery, T.DashboardPayoutsQueryVariables>} */
const PAYOUTS = /* GraphQL */ `
  query DashboardPayouts($first: Int) {
    payouts(first: $first) {
      edges { node { id saleId recipient amount { amount currency } status providerPayoutId fee { amount currency } requestedAt recipientUser { email } } }
    }
  }`;

/** @typedef {T.DashboardPayoutsQuery['payouts']['edges'][number]['node']} PayoutRow */

/** `/dashboard/payouts`: payouts and their states. */
export function Payouts() {
  const state = useLoad(() => request(PAYOUTS, { first: PAGE_SIZE }), []);
  return html`
    <${Page} title="Payouts" actions=${html`<${Refresh} onClick=${state.reload} busy=${state.loading} />`}>
      <${Loaded} state=${state} render=${(/** @type {T.DashboardPayoutsQuery} */ data) => html`
        <${Table} caption="Payouts" rows=${data.payouts.edges.map((edge) => edge.node).reverse()} rowKey=${(/** @type {PayoutRow} */ row) => row.id}
          empty="No payouts yet: they follow each sale."
          columns=${[
            { label: 'Requested', cell: (/** @type {PayoutRow} */ row) => formatTime(row.requestedAt) },
            { label: 'To', cell: (/** @type {PayoutRow} */ row) => (row.recipient === 'ADMIN' ? 'Platform commission' : row.recipientUser?.email ?? row.recipient) },
            { label: 'Amount', number: true, cell: (/** @type {PayoutRow} */ row) => html`<${MoneyText} money=${row.amount} />` },
            { label: 'Fee', number: true, cell: (/** @type {PayoutRow} */ row) => html`<${MoneyText} money=${row.fee} />` },
            { label: 'Status', cell: (/** @type {PayoutRow} */ row) => html`<${StatusBadge} status=${row.status} />` },
            { label: 'Provider id', cell: (/** @type {PayoutRow} */ row) => (row.providerPayoutId ? html`<code>${row.providerPayoutId}</code>` : '—') },
          ]} />`} />
    </${Page}>`;
}

/** @type {Operation<T.AccountQuery, T.AccountQueryVariables>} */
const ACCOUNT = /* GraphQL */ `
  query Account {
    me { id email role paypalPayoutEmail payoutMethod payoutMethodChanges { at method destinationHint } }
    apiCredentials { provider environment names updatedAt expiresAt }
  }`;

/** @type {Operation<T.SetPayoutMethodMutation, T.SetPayoutMethodMutationVariables>} */
const SET_PAYOUT_METHOD = /* GraphQL */ `
  mutation SetPayoutMethod($input: SetPayoutMethodInput!) {
    setPayoutMethod(input: $input) { user { id payoutMethod paypalPayoutEmail } position userErrors { code message field } }
  }`;

/** @type {Operation<T.ConnectAliExpressMutation, T.ConnectAliExpressMutationVariables>} */
const CONNECT_ALIEXPRESS = /* GraphQL */ `
  mutation ConnectAliExpress($environment: String!) {
    connectAliExpress(environment: $environment) { authorizeUrl userErrors { code message field } }
  }`;

/** `/dashboard/account`: payout method, supplier connection, stored credentials. */
export function Account() {
  const state = useLoad(() => request(ACCOUNT, {}), []);
  const [method, setMethod] = useState(/** @type {'PAYPAL' | 'PAYONEER'} */ ('PAYPAL'));
  const [destination, setDestination] = useState('');
  const [currentPassword, setCurrentPassword] = useState('');
  const [errors, setErrors] = useState(/** @type {import('../ui.js').UserError[]} */ ([]));
  const [saved, setSaved] = useState(false);
  const [environment, setEnvironment] = useState('sandbox');
  const save = useAction(async () => {
    setSaved(false);
    const { setPayoutMethod } = await request(SET_PAYOUT_METHOD, { input: { method, destination, currentPassword } });
    setErrors(setPayoutMethod.userErrors);
    if (setPayoutMethod.user) {
      setCurrentPassword('');
      setSaved(true);
      state.reload();
    }
  });
  const connect = useAction(async () => {
    const { connectAliExpress } = await request(CONNECT_ALIEXPRESS, { environment }, { keepCookies: true });
    if (connectAliExpress.userErrors.length) throw new Error(connectAliExpress.userErrors.map((error) => error.message).join(' '));
    if (connectAliExpress.authorizeUrl) {
      const target = new URL(connectAliExpress.authorizeUrl);
      if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new Error('AliExpress gave an address that is not a web page');
      location.assign(target.href);
    }
  });
  return html`
    <${Page} title="Account">
      <${Loaded} state=${state} render=${(/** @type {T.AccountQuery} */ data) => html`
        <dl class="facts">
          <dt>E-mail</dt><dd>${data.me?.email}</dd>
          <dt>Role</dt><dd>${data.me?.role}</dd>
          <dt>Payouts</dt><dd class="payout-method">${data.me?.payoutMethod ?? 'PAYPAL'} ${data.me?.paypalPayoutEmail ? `to ${data.me.paypalPayoutEmail}` : ''}</dd>
        </dl>
        <${Table} caption="Changes of where your profit goes (not you? change your password and the destination back)" rows=${data.me?.payoutMethodChanges ?? []}
          rowKey=${(/** @type {any} */ row) => row.at}
          empty="Never changed since you registered."
          columns=${[
            { label: 'When', cell: (/** @type {any} */ row) => formatTime(row.at) },
            { label: 'Method', cell: (/** @type {any} */ row) => row.method },
            { label: 'To', cell: (/** @type {any} */ row) => row.destinationHint },
          ]} />
        <h2>Connections and stored credentials</h2>
        <${Table} caption="Stored credentials (names only: values are never shown)" rows=${data.apiCredentials}
          rowKey=${(/** @type {any} */ row) => `${row.provider}/${row.environment}`}
          empty="Nothing connected yet."
          columns=${[
            { label: 'Provider', cell: (/** @type {any} */ row) => row.provider },
            { label: 'Environment', cell: (/** @type {any} */ row) => row.environment },
            { label: 'Names', cell: (/** @type {any} */ row) => row.names.join(', ') },
            { label: 'Saved', cell: (/** @type {any} */ row) => formatTime(row.updatedAt) },
            { label: 'Expires', cell: (/** @type {any} */ row) => formatTime(row.expiresAt) },
          ]} />`} />
      <form class="form" onSubmit=${(/** @type {Event} */ event) => { event.preventDefault(); connect.run(); }}>
        <div class="field">
          <label for="field-environment">AliExpress environment</label>
          <select id="field-environment" value=${environment} onChange=${(/** @type {Event} */ event) => setEnvironment(/** @type {HTMLSelectElement} */ (event.currentTarget).value)}>
            <option value="sandbox">sandbox</option>
            <option value="production">production</option>
          </select>
        </div>
        ${connect.failure ? html`<${ErrorNotice} error=${connect.failure} retry=${() => connect.run()} />` : null}
        <button type="submit" disabled=${connect.busy}>Connect AliExpress</button>
        <p class="hint">You sign in at AliExpress and come back here; the token is stored sealed and never shown.</p>
      </form>
      <h2>Payout method</h2>
      <form class="form" onSubmit=${(/** @type {Event} */ event) => { event.preventDefault(); save.run(); }} novalidate>
        <div class="field">
          <label for="field-method">Method</label>
          <select id="field-method" value=${method} onChange=${(/** @type {Event} */ event) => setMethod(/** @type {any} */ (/** @type {HTMLSelectElement} */ (event.currentTarget).value))}>
            <option value="PAYPAL">PayPal</option>
            <option value="PAYONEER">Payoneer</option>
          </select>
        </div>
        <${Field} name="destination" label=${method === 'PAYPAL' ? 'PayPal e-mail' : 'Payoneer payee id'} value=${destination} onInput=${setDestination} errors=${errors} />
        <${Field} name="currentPassword" label="Your password" type="password" autocomplete="current-password"
          hint="Asked again: where your money goes changes only with it." value=${currentPassword} onInput=${setCurrentPassword} errors=${errors} />
        <${FormErrors} errors=${errors} fields=${['destination', 'method', 'currentPassword']} />
        ${save.failure ? html`<${ErrorNotice} error=${save.failure} retry=${() => save.run()} />` : null}
        ${saved ? html`<${Done}><p>Payout method saved.</p></${Done}>` : null}
        <button type="submit" class="primary" disabled=${save.busy}>Save payout method</button>
      </form>
    </${Page}>`;
}
