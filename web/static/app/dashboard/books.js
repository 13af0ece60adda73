// The accountant's sections (ADMIN sees them too): the trial balance, the
// chart of accounts with balances as of any moment, the general ledger,
// cash reconciliations and the audit trail, searchable; each table exports
// as CSV.
/** @import * as T from '../../../types/graphql' */
/** @import { Operation } from '../graphql.js' */
import { useEffect, useState } from '../../vendor/hooks.mjs';
import { html } from '../html.js';
import { compare, decimal } from '../money.js';
import { Link } from '../router.js';
import { ErrorNotice, Field, Loaded, MoneyText, Page, StatusBadge, formatTime, request, useAction, useLoad } from '../ui.js';
import { Refresh, ShortId, Table, csvUrl } from './common.js';

/** Audit records per page (rows × fields within the API's complexity limit). */
const AUDIT_PAGE_SIZE = 100;

/**
 * A `datetime-local` value as RFC 3339 in UTC, or null when empty.
 * @param {string} local
 */
function toInstant(local) {
  if (!local) return null;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** @type {Operation<T.TrialBalanceQuery, T.TrialBalanceQueryVariables>} */
const TRIAL_BALANCE = /* GraphQL */ `
  query TrialBalance($asOf: DateTime) {
    trialBalance(asOf: $asOf) {
      currency
      lines { account name debit { amount currency } credit { amount currency } }
      totalDebit { amount currency }
      totalCredit { amount currency }
    }
  }`;

/** `/dashboard/books/trial-balance`: now or as of a moment. */
export function TrialBalance() {
  const [asOf, setAsOf] = useState('');
  const [shown, setShown] = useState('');
  const state = useLoad(() => request(TRIAL_BALANCE, { asOf: toInstant(shown) }), [shown]);
  return html`
    <${Page} title="Trial balance" actions=${html`<${Refresh} onClick=${state.reload} busy=${state.loading} />`}>
      <form class="form" onSubmit=${(/** @type {Event} */ event) => { event.preventDefault(); setShown(asOf); }}>
        <${Field} name="asOf" label="As of (empty: now)" type="datetime-local" required=${false} value=${asOf} onInput=${setAsOf} />
        <button type="submit">Show</button>
      </form>
      <${Loaded} state=${state} render=${(/** @type {T.TrialBalanceQuery} */ data) => {
        const balance = data.trialBalance;
        const balanced = compare(decimal(balance.totalDebit.amount), decimal(balance.totalCredit.amount)) === 0;
        return html`
          <p class=${`notice ${balanced ? 'ok' : 'error'} balanced`} role="status">
            ${balanced ? 'Balanced: debits equal credits.' : 'Not balanced: debits and credits differ.'}
            ${shown ? ` As of ${formatTime(toInstant(shown))}.` : ' Now.'}</p>
          <${Table} caption=${`Trial balance (${balance.currency})`} rows=${balance.lines} rowKey=${(/** @type {any} */ row) => row.account}
            csvName=${`trial-balance-${balance.currency}.csv`}
            columns=${[
              { label: 'Account', cell: (/** @type {any} */ row) => html`${row.name} <code>${row.account}</code>`, csv: (/** @type {any} */ row) => row.account },
              { label: 'Name', csvOnly: true, csv: (/** @type {any} */ row) => row.name },
              { label: 'Debit', number: true, cell: (/** @type {any} */ row) => html`<${MoneyText} money=${row.debit} />`, csv: (/** @type {any} */ row) => row.debit.amount },
              { label: 'Credit', number: true, cell: (/** @type {any} */ row) => html`<${MoneyText} money=${row.credit} />`, csv: (/** @type {any} */ row) => row.credit.amount },
              { label: 'Currency', csvOnly: true, csv: () => balance.currency },
            ]}
            footer=${html`<tr><td>Total</td><td class="number total-debit"><${MoneyText} money=${balance.totalDebit} /></td>
              <td class="number total-credit"><${MoneyText} money=${balance.totalCredit} /></td></tr>`} />`;
      }} />
    </${Page}>`;
}

/** @type {Operation<T.AccountsQuery, T.AccountsQueryVariables>} */
const ACCOUNTS = /* GraphQL */ `
  query Accounts {
    accounts { code name kind posted { amount currency } pending { amount currency } available { amount currency } }
  }`;

/** @type {Operation<T.AccountBalanceQuery, T.AccountBalanceQueryVariables>} */
const ACCOUNT_BALANCE = /* GraphQL */ `
  query AccountBalance($account: String!, $asOf: DateTime) {
    balance(account: $account, asOf: $asOf) { account posted { amount currency } pending { amount currency } available { amount currency } }
  }`;

/** `/dashboard/books/accounts`: the chart of accounts and one account as of a moment. */
export function Accounts() {
  const state = useLoad(() => request(ACCOUNTS, {}), []);
  const [account, setAccount] = useState('');
  const [asOf, setAsOf] = useState('');
  const [balance, setBalance] = useState(/** @type {T.AccountBalanceQuery['balance'] | null} */ (null));
  const look = useAction(async () => {
    const data = await request(ACCOUNT_BALANCE, { account, asOf: toInstant(asOf) });
    setBalance(data.balance);
  });
  return html`
    <${Page} title="Accounts" actions=${html`<${Refresh} onClick=${state.reload} busy=${state.loading} />`}>
      <${Loaded} state=${state} render=${(/** @type {T.AccountsQuery} */ data) => html`
        <${Table} caption="Chart of accounts with balances" rows=${data.accounts} rowKey=${(/** @type {any} */ row) => row.code}
          csvName="accounts.csv"
          columns=${[
            { label: 'Account', cell: (/** @type {any} */ row) => html`${row.name} <code>${row.code}</code>`, csv: (/** @type {any} */ row) => row.code },
            { label: 'Name', csvOnly: true, csv: (/** @type {any} */ row) => row.name },
            { label: 'Kind', cell: (/** @type {any} */ row) => row.kind, csv: (/** @type {any} */ row) => row.kind },
            { label: 'Posted', number: true, cell: (/** @type {any} */ row) => html`<${MoneyText} money=${row.posted} />`, csv: (/** @type {any} */ row) => row.posted.amount },
            { label: 'Pending', number: true, cell: (/** @type {any} */ row) => html`<${MoneyText} money=${row.pending} />`, csv: (/** @type {any} */ row) => row.pending.amount },
            { label: 'Available', number: true, cell: (/** @type {any} */ row) => html`<${MoneyText} money=${row.available} />`, csv: (/** @type {any} */ row) => row.available.amount },
            { label: 'Currency', csvOnly: true, csv: (/** @type {any} */ row) => row.posted.currency },
            { label: '', cell: (/** @type {any} */ row) => html`<button type="button" class="link" onClick=${() => setAccount(row.code)}
                aria-label=${`Look up ${row.name} as of a moment`}>As of…</button>` },
          ]} />`} />
      <h2>One account as of a moment</h2>
      <form class="form" onSubmit=${(/** @type {Event} */ event) => { event.preventDefault(); look.run(); }}>
        <${Field} name="account" label="Account code" value=${account} onInput=${setAccount} />
        <${Field} name="balanceAsOf" label="As of (empty: now)" type="datetime-local" required=${false} value=${asOf} onInput=${setAsOf} />
        ${look.failure ? html`<${ErrorNotice} error=${look.failure} retry=${() => look.run()} />` : null}
        <button type="submit" disabled=${look.busy}>Show balance</button>
      </form>
      ${balance
        ? html`<dl class="facts" aria-live="polite">
            <dt>Account</dt><dd><code>${balance.account}</code></dd>
            <dt>Posted</dt><dd><${MoneyText} money=${balance.posted} /></dd>
            <dt>Pending</dt><dd><${MoneyText} money=${balance.pending} /></dd>
            <dt>Available</dt><dd><${MoneyText} money=${balance.available} /></dd>
          </dl>`
        : null}
    </${Page}>`;
}

/** @type {Operation<T.LedgerEventsQuery, T.LedgerEventsQueryVariables>} */
const LEDGER_EVENTS = /* GraphQL */ `
  query LedgerEvents($after: String, $first: Int) {
    events(after: $after, first: $first) {
      edges { node { position eventType streamId recordedAt payload } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

/** Events per page of the general ledger. */
const LEDGER_PAGE_SIZE = 100;

/** @typedef {{ position: number | null, eventType: string, recordedAt: string, effectiveAt: string, account: string, side: string, money: import('../money.js').Money }} LedgerLine */

/**
 * The journal entries in an event's payload: every object with a
 * `postings` list, each posting `{ account, side, amount: Money }` (the
 * domain's wire form), wherever the event keeps it.
 * @param {unknown} payload
 * @returns {{ effectiveAt: string, postings: { account: string, side: string, amount: import('../money.js').Money }[] }[]}
 */
function entriesIn(payload) {
  /** @type {{ effectiveAt: string, postings: any[] }[]} */
  const found = [];
  /** @param {unknown} value */
  const walk = (value) => {
    if (Array.isArray(value)) {
      value.forEach(walk);
    } else if (value && typeof value === 'object') {
      const object = /** @type {Record<string, unknown>} */ (value);
      if (Array.isArray(object.postings)) {
        found.push({ effectiveAt: String(object.effective_at ?? ''), postings: object.postings });
      }
      Object.values(object).forEach(walk);
    }
  };
  walk(payload);
  return found.map((entry) => ({
    effectiveAt: entry.effectiveAt,
    postings: entry.postings.filter(
      (posting) => posting && typeof posting.account === 'string' && typeof posting.side === 'string' && posting.amount && typeof posting.amount.amount === 'string',
    ),
  }));
}

/** `/dashboard/books/ledger`: every posting of every journal entry, in log order. */
export function GeneralLedger() {
  const [account, setAccount] = useState('');
  const [lines, setLines] = useState(/** @type {LedgerLine[]} */ ([]));
  const [cursor, setCursor] = useState(/** @type {string | null | undefined} */ (undefined));
  const load = useAction(async () => {
    const { events } = await request(LEDGER_EVENTS, { first: LEDGER_PAGE_SIZE, after: cursor ?? null });
    /** @type {LedgerLine[]} */
    const found = [];
    for (const { node } of events.edges) {
      for (const entry of entriesIn(node.payload)) {
        for (const posting of entry.postings) {
          found.push({ position: node.position, eventType: node.eventType, recordedAt: node.recordedAt, effectiveAt: entry.effectiveAt, account: posting.account, side: posting.side, money: posting.amount });
        }
      }
    }
    setLines((previous) => [...previous, ...found]);
    setCursor(events.pageInfo.hasNextPage ? events.pageInfo.endCursor : null);
  });
  useEffect(() => {
    load.run();
  }, []);
  const shown = account ? lines.filter((line) => line.account.includes(account)) : lines;
  return html`
    <${Page} title="General ledger">
      <form class="form" onSubmit=${(/** @type {Event} */ event) => event.preventDefault()}>
        <${Field} name="ledgerAccount" label="Only accounts containing" required=${false} value=${account} onInput=${setAccount}
          hint="e.g. cash:paypal:available" />
      </form>
      ${load.failure ? html`<${ErrorNotice} error=${load.failure} retry=${() => load.run()} />` : null}
      <${Table} caption="Postings, in log order" rows=${shown} rowKey=${(/** @type {LedgerLine} */ row) => `${row.position}/${row.account}/${row.side}/${row.money.amount}`}
        empty=${load.busy ? 'Loading…' : 'No postings.'} csvName="general-ledger.csv"
        columns=${[
          { label: 'Position', number: true, cell: (/** @type {LedgerLine} */ row) => row.position, csv: (/** @type {LedgerLine} */ row) => row.position },
          { label: 'Effective', cell: (/** @type {LedgerLine} */ row) => formatTime(row.effectiveAt || row.recordedAt), csv: (/** @type {LedgerLine} */ row) => row.effectiveAt || row.recordedAt },
          { label: 'Event', cell: (/** @type {LedgerLine} */ row) => row.eventType, csv: (/** @type {LedgerLine} */ row) => row.eventType },
          { label: 'Account', cell: (/** @type {LedgerLine} */ row) => html`<code class="ledger-account">${row.account}</code>`, csv: (/** @type {LedgerLine} */ row) => row.account },
          { label: 'Debit', number: true, cell: (/** @type {LedgerLine} */ row) => (row.side === 'DEBIT' ? html`<${MoneyText} money=${row.money} />` : ''), csv: (/** @type {LedgerLine} */ row) => (row.side === 'DEBIT' ? row.money.amount : '') },
          { label: 'Credit', number: true, cell: (/** @type {LedgerLine} */ row) => (row.side === 'CREDIT' ? html`<${MoneyText} money=${row.money} />` : ''), csv: (/** @type {LedgerLine} */ row) => (row.side === 'CREDIT' ? row.money.amount : '') },
          { label: 'Currency', csvOnly: true, csv: (/** @type {LedgerLine} */ row) => row.money.currency },
        ]} />
      ${cursor ? html`<button type="button" onClick=${() => load.run()} disabled=${load.busy}>Load more</button>` : null}
    </${Page}>`;
}

/** @type {Operation<T.ReconciliationsQuery, T.ReconciliationsQueryVariables>} */
const RECONCILIATIONS = /* GraphQL */ `
  query Reconciliations {
    reconciliations(first: 50) {
      edges { node { position provider currency outcome asOfTime checkedAt
        reported { total { amount currency } }
        ledger { available { amount currency } pending { amount currency } }
        difference { total { amount currency } } } }
    }
  }`;

/** `/dashboard/books/reconciliations`: PayPal's balance against the ledger's. */
export function Reconciliations() {
  const state = useLoad(() => request(RECONCILIATIONS, {}), []);
  return html`
    <${Page} title="Cash reconciliations" actions=${html`<${Refresh} onClick=${state.reload} busy=${state.loading} />`}>
      <${Loaded} state=${state} render=${(/** @type {T.ReconciliationsQuery} */ data) => html`
        <${Table} caption="Cash reconciliations, newest first" rows=${data.reconciliations.edges.map((edge) => edge.node)}
          rowKey=${(/** @type {any} */ row) => String(row.position)} empty="No reconciliation has run yet (every 15 minutes by default)."
          csvName="cash-reconciliations.csv"
          columns=${[
            { label: 'As of', cell: (/** @type {any} */ row) => formatTime(row.asOfTime), csv: (/** @type {any} */ row) => row.asOfTime },
            { label: 'Provider', cell: (/** @type {any} */ row) => `${row.provider} ${row.currency}`, csv: (/** @type {any} */ row) => row.provider },
            { label: 'Currency', csvOnly: true, csv: (/** @type {any} */ row) => row.currency },
            { label: 'Outcome', cell: (/** @type {any} */ row) => html`<${StatusBadge} status=${row.outcome} />`, csv: (/** @type {any} */ row) => row.outcome },
            { label: 'PayPal total', number: true, cell: (/** @type {any} */ row) => html`<${MoneyText} money=${row.reported.total} />`, csv: (/** @type {any} */ row) => row.reported.total.amount },
            { label: 'Ledger available', number: true, cell: (/** @type {any} */ row) => html`<${MoneyText} money=${row.ledger.available} />`, csv: (/** @type {any} */ row) => row.ledger.available.amount },
            { label: 'Ledger pending', number: true, cell: (/** @type {any} */ row) => html`<${MoneyText} money=${row.ledger.pending} />`, csv: (/** @type {any} */ row) => row.ledger.pending.amount },
            { label: 'Difference', number: true, cell: (/** @type {any} */ row) => html`<${MoneyText} money=${row.difference.total} />`, csv: (/** @type {any} */ row) => row.difference.total.amount },
          ]} />`} />
    </${Page}>`;
}

/** @type {Operation<T.AuditTrailQuery, T.AuditTrailQueryVariables>} */
const AUDIT_TRAIL = /* GraphQL */ `
  query AuditTrail($filter: AuditTrailFilter, $first: Int, $after: String) {
    auditTrail(filter: $filter, first: $first, after: $after) {
      edges { node { position eventId streamId streamVersion eventType correlationId causationId actorId commandId recordedAt } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

/** @typedef {T.AuditTrailQuery['auditTrail']['edges'][number]['node']} AuditRow */

/** The CSV columns of the audit export. */
const AUDIT_COLUMNS = /** @type {const} */ (['position', 'recordedAt', 'streamId', 'streamVersion', 'eventType', 'eventId', 'correlationId', 'causationId', 'actorId', 'commandId']);

/** @param {AuditRow[]} rows */
function toCsv(rows) {
  return csvUrl([...AUDIT_COLUMNS], rows, (row) => AUDIT_COLUMNS.map((column) => row[column]));
}

/** An id-like filter value: letters, digits and the separators ids use. */
const FILTER_VALUE = /^[\w:.@-]*$/;

/** `/dashboard/books/audit`: every event's metadata, by order, stream, flow, actor, time. */
export function AuditTrail() {
  const [form, setForm] = useState({ orderId: '', streamId: '', correlationId: '', actorId: '', from: '', to: '' });
  const [rows, setRows] = useState(/** @type {AuditRow[] | null} */ (null));
  const [cursor, setCursor] = useState(/** @type {string | null} */ (null));
  const [csv, setCsv] = useState(/** @type {string | null} */ (null));
  const [errors, setErrors] = useState(/** @type {import('../ui.js').UserError[]} */ ([]));
  /** @param {keyof typeof form} name */
  const set = (name) => (/** @type {string} */ value) => setForm({ ...form, [name]: value.trim() });
  const filter = () => ({
    streamId: form.orderId ? `order-${form.orderId}` : form.streamId || null,
    correlationId: form.correlationId || null,
    actorId: form.actorId || null,
    from: toInstant(form.from),
    to: toInstant(form.to),
  });
  const search = useAction(async (/** @type {boolean} */ more) => {
    /** @type {import('../ui.js').UserError[]} */
    const local = [];
    for (const name of /** @type {const} */ (['orderId', 'streamId', 'correlationId', 'actorId'])) {
      if (!FILTER_VALUE.test(form[name])) local.push({ code: 'INVALID_INPUT', message: 'Letters, digits, - : . @ and _ only.', field: name });
    }
    setErrors(local);
    if (local.length) return;
    const { auditTrail } = await request(AUDIT_TRAIL, { filter: filter(), first: AUDIT_PAGE_SIZE, after: more ? cursor : null });
    const found = auditTrail.edges.map((edge) => edge.node);
    const all = more && rows ? [...rows, ...found] : found;
    setRows(all);
    setCursor(auditTrail.pageInfo.hasNextPage ? auditTrail.pageInfo.endCursor : null);
    setCsv(toCsv(all));
  });
  return html`
    <${Page} title="Audit trail">
      <form class="form wide" onSubmit=${(/** @type {Event} */ event) => { event.preventDefault(); search.run(false); }} novalidate>
        <${Field} name="orderId" label="Order id" required=${false} value=${form.orderId} onInput=${set('orderId')} errors=${errors} hint="Every event of one order." />
        <${Field} name="streamId" label="Stream id" required=${false} value=${form.streamId} onInput=${set('streamId')} errors=${errors} hint="e.g. working-capital-USD; ignored when an order id is given." />
        <${Field} name="correlationId" label="Correlation id" required=${false} value=${form.correlationId} onInput=${set('correlationId')} errors=${errors} />
        <${Field} name="actorId" label="Actor" required=${false} value=${form.actorId} onInput=${set('actorId')} errors=${errors} hint="A user id or system:<process>." />
        <${Field} name="from" label="From" type="datetime-local" required=${false} value=${form.from} onInput=${set('from')} />
        <${Field} name="to" label="Before" type="datetime-local" required=${false} value=${form.to} onInput=${set('to')} />
        ${search.failure ? html`<${ErrorNotice} error=${search.failure} retry=${() => search.run(false)} />` : null}
        <button type="submit" class="primary" disabled=${search.busy}>Search</button>
      </form>
      ${rows
        ? html`
          <p role="status">${rows.length} record${rows.length === 1 ? '' : 's'}${cursor ? ' so far' : ''}.
            ${csv && rows.length ? html` <a class="csv" href=${csv} download="audit-trail.csv">Export as CSV</a>` : null}</p>
          <${Table} caption="Audit records, oldest first" rows=${rows} rowKey=${(/** @type {AuditRow} */ row) => row.eventId}
            empty="No records match."
            columns=${[
              { label: 'Position', number: true, cell: (/** @type {AuditRow} */ row) => row.position },
              { label: 'Recorded', cell: (/** @type {AuditRow} */ row) => formatTime(row.recordedAt) },
              { label: 'Event', cell: (/** @type {AuditRow} */ row) => html`<span class="event-type">${row.eventType}</span>` },
              { label: 'Stream', cell: (/** @type {AuditRow} */ row) => html`<code>${row.streamId}</code> v${row.streamVersion}` },
              { label: 'Actor', cell: (/** @type {AuditRow} */ row) => html`<code>${row.actorId}</code>` },
              { label: 'Correlation', cell: (/** @type {AuditRow} */ row) => html`<${ShortId} id=${row.correlationId} />` },
              {
                label: 'Order',
                cell: (/** @type {AuditRow} */ row) =>
                  row.streamId.startsWith('order-') ? html`<${Link} href=${`/orders/${row.streamId.slice(6)}`}>Open</${Link}>` : '',
              },
            ]} />
          ${cursor ? html`<button type="button" onClick=${() => search.run(true)} disabled=${search.busy}>Load more</button>` : null}`
        : null}
    </${Page}>`;
}
