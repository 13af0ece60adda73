// The admin's sections: platform settings, capital (contributions, working
// capital and its history), the autopilot, users and roles, read models.
/** @import * as T from '../../../types/graphql' */
/** @import { Operation } from '../graphql.js' */
import { useEffect, useState } from '../../vendor/hooks.mjs';
import { html } from '../html.js';
import { decimal, isAmount, subtract, toAmount } from '../money.js';
import { ErrorNotice, Field, FormErrors, Loaded, MoneyText, Page, StatusBadge, formatTime, request, useAction, useLoad } from '../ui.js';
import { BarChart } from './charts.js';
import { Done, PAGE_SIZE, Refresh, SUMMARY_PAGES_MAX, ShortId, Table } from './common.js';

/** @type {Operation<T.SetPlatformConfigMutation, T.SetPlatformConfigMutationVariables>} */
const SET_PLATFORM_CONFIG = /* GraphQL */ `
  mutation SetPlatformConfig($input: SetPlatformConfigInput!) {
    setPlatformConfig(input: $input) { platformConfig { commissionPct adminPaypalEmail } position userErrors { code message field } }
  }`;

/** @type {Operation<T.PlatformConfigQuery, T.PlatformConfigQueryVariables>} */
const PLATFORM_CONFIG = /* GraphQL */ `
  query PlatformConfig { platformConfig { commissionPct adminPaypalEmail } }`;

/** @typedef {{ commissionPct: string, adminPaypalEmail: string | null }} Settings */

/** `/dashboard/admin/settings`: commission and the admin's payout e-mail. */
export function Settings() {
  const current = useLoad(() => request(PLATFORM_CONFIG, {}), []);
  const [commissionPct, setCommission] = useState('');
  const [adminPaypalEmail, setEmail] = useState('');
  const [errors, setErrors] = useState(/** @type {import('../ui.js').UserError[]} */ ([]));
  const [saved, setSaved] = useState(/** @type {Settings | null} */ (null));
  // The form starts from the settings in force, once they are read.
  const inForce = current.data?.platformConfig;
  useEffect(() => {
    if (!inForce) return;
    setCommission(inForce.commissionPct);
    setEmail(inForce.adminPaypalEmail ?? '');
  }, [inForce]);
  const save = useAction(async () => {
    if (!/^\d{1,3}(\.\d{1,4})?$/.test(commissionPct.trim())) {
      setErrors([{ code: 'INVALID_INPUT', message: 'A percentage from 0 to 100, e.g. 20 or 12.5.', field: 'commissionPct' }]);
      return;
    }
    const { setPlatformConfig } = await request(SET_PLATFORM_CONFIG, { input: { commissionPct: commissionPct.trim(), adminPaypalEmail } });
    setErrors(setPlatformConfig.userErrors);
    setSaved(setPlatformConfig.platformConfig);
    if (setPlatformConfig.platformConfig) current.setData({ platformConfig: setPlatformConfig.platformConfig });
  });
  return html`
    <${Page} title="Platform settings">
      <${Loaded} state=${current} label="the settings in force" render=${(/** @type {T.PlatformConfigQuery} */ { platformConfig: settings }) => html`
        <p class="in-force">${settings
          ? `In force: ${settings.commissionPct} % commission, paid to ${settings.adminPaypalEmail}.`
          : 'Not configured yet: no sale can be recorded until a commission and a payout e-mail are saved.'}</p>`} />
      <form class="form" onSubmit=${(/** @type {Event} */ event) => { event.preventDefault(); save.run(); }} novalidate>
        <${Field} name="commissionPct" label="Commission (% of gross profit)" inputmode="decimal" value=${commissionPct} onInput=${setCommission} errors=${errors} />
        <${Field} name="adminPaypalEmail" label="Admin PayPal e-mail (commission payouts)" type="email" value=${adminPaypalEmail} onInput=${setEmail} errors=${errors} />
        <${FormErrors} errors=${errors} fields=${['commissionPct', 'adminPaypalEmail']} />
        ${save.failure ? html`<${ErrorNotice} error=${save.failure} retry=${() => save.run()} />` : null}
        ${saved ? html`<${Done}><p>Saved: ${saved.commissionPct} % commission, paid to ${saved.adminPaypalEmail}.</p></${Done}>` : null}
        <button type="submit" class="primary" disabled=${save.busy}>Save settings</button>
      </form>
    </${Page}>`;
}

/** @type {Operation<T.WorkingCapitalQuery, T.WorkingCapitalQueryVariables>} */
const WORKING_CAPITAL = /* GraphQL */ `
  query WorkingCapital($consistentAfter: Int) {
    workingCapital(consistentAfter: $consistentAfter) {
      realBalance { amount currency } committed { amount currency } free { amount currency } pendingCash { amount currency } currency asOfPosition
    }
    events(first: 1) { edges { node { recordedAt } } }
  }`;

/**
 * The cash account at eight moments: one document with eight aliased
 * fields, so the history is one request (and stays a checked document).
 * @type {Operation<T.CapitalHistoryQuery, T.CapitalHistoryQueryVariables>}
 */
const CAPITAL_HISTORY = /* GraphQL */ `
  query CapitalHistory($t0: DateTime, $t1: DateTime, $t2: DateTime, $t3: DateTime, $t4: DateTime, $t5: DateTime, $t6: DateTime, $t7: DateTime) {
    t0: balance(account: "cash:paypal:available", asOf: $t0) { pending { amount } available { amount } }
    t1: balance(account: "cash:paypal:available", asOf: $t1) { pending { amount } available { amount } }
    t2: balance(account: "cash:paypal:available", asOf: $t2) { pending { amount } available { amount } }
    t3: balance(account: "cash:paypal:available", asOf: $t3) { pending { amount } available { amount } }
    t4: balance(account: "cash:paypal:available", asOf: $t4) { pending { amount } available { amount } }
    t5: balance(account: "cash:paypal:available", asOf: $t5) { pending { amount } available { amount } }
    t6: balance(account: "cash:paypal:available", asOf: $t6) { pending { amount } available { amount } }
    t7: balance(account: "cash:paypal:available", asOf: $t7) { pending { amount } available { amount } }
  }`;

/** @type {Operation<T.RecordCapitalMutation, T.RecordCapitalMutationVariables>} */
const RECORD_CAPITAL = /* GraphQL */ `
  mutation RecordCapital($input: RecordCapitalContributionInput!) {
    recordCapitalContribution(input: $input) { entryId amount { amount currency } position userErrors { code message field } }
  }`;

/** Moments in the capital chart. */
const HISTORY_POINTS = 8;

/**
 * Free and committed capital at eight moments from the first event to now.
 * @param {string} since RFC 3339
 */
async function capitalHistory(since) {
  const start = new Date(since).getTime();
  const end = Date.now();
  const times = Array.from({ length: HISTORY_POINTS }, (_, index) => new Date(start + ((end - start) * (index + 1)) / HISTORY_POINTS));
  const [t0, t1, t2, t3, t4, t5, t6, t7] = times.map((time) => time.toISOString());
  const data = await request(CAPITAL_HISTORY, { t0, t1, t2, t3, t4, t5, t6, t7 });
  const points = [data.t0, data.t1, data.t2, data.t3, data.t4, data.t5, data.t6, data.t7];
  // Labels as fine as the span needs: seconds within an hour, dates past two days.
  const span = end - start;
  /** @param {Date} time */
  const label = (time) =>
    span < 3_600_000
      ? time.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
      : span < 172_800_000
        ? time.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
        : time.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  return points.map((point, index) => ({
    label: label(times[index]),
    // Holds show as a negative pending change: committed is its opposite.
    values: [point.available.amount, toAmount(subtract(decimal('0'), decimal(point.pending.amount)))],
  }));
}

/** `/dashboard/admin/capital`: contributions and working capital. */
export function Capital() {
  const [position, setPosition] = useState(/** @type {number | null} */ (null));
  const state = useLoad(async () => {
    const data = await request(WORKING_CAPITAL, { consistentAfter: position });
    const first = data.events.edges[0]?.node.recordedAt;
    const history = first ? await capitalHistory(first) : [];
    return { ...data, history };
  }, [position]);
  const [amount, setAmount] = useState('');
  const [reference, setReference] = useState('');
  const [errors, setErrors] = useState(/** @type {import('../ui.js').UserError[]} */ ([]));
  const [idempotencyKey, setKey] = useState(() => crypto.randomUUID());
  const [recorded, setRecorded] = useState(/** @type {import('../money.js').Money | null} */ (null));
  const record = useAction(async () => {
    setRecorded(null);
    if (!isAmount(amount)) {
      setErrors([{ code: 'INVALID_INPUT', message: 'An amount such as 500.00.', field: 'amount' }]);
      return;
    }
    const { recordCapitalContribution: payload } = await request(RECORD_CAPITAL, {
      input: { amount: { amount: amount.trim(), currency: 'USD' }, reference, idempotencyKey },
    });
    setErrors(payload.userErrors);
    if (payload.entryId) {
      setRecorded(payload.amount);
      setAmount('');
      setReference('');
      setKey(crypto.randomUUID());
      setPosition(payload.position);
    }
  });
  return html`
    <${Page} title="Capital" actions=${html`<${Refresh} onClick=${state.reload} busy=${state.loading} />`}>
      <${Loaded} state=${state} render=${(/** @type {any} */ data) => html`
        <div class="cards">
          <div class="stat"><span class="label">Free capital</span><span class="value free-capital"><${MoneyText} money=${data.workingCapital.free} /></span></div>
          <div class="stat"><span class="label">Committed to open orders</span><span class="value"><${MoneyText} money=${data.workingCapital.committed} /></span></div>
          <div class="stat"><span class="label">Real balance at PayPal</span><span class="value"><${MoneyText} money=${data.workingCapital.realBalance} /></span></div>
          <div class="stat"><span class="label">Captured, still pending</span><span class="value"><${MoneyText} money=${data.workingCapital.pendingCash} /></span></div>
        </div>
        <${BarChart} title="Free and committed capital over time" series=${['Free', 'Committed']} groups=${data.history} currency=${data.workingCapital.currency} />`} />
      <h2>Record an owner contribution</h2>
      <form class="form" onSubmit=${(/** @type {Event} */ event) => { event.preventDefault(); record.run(); }} novalidate>
        <${Field} name="amount" label="Amount (USD)" inputmode="decimal" value=${amount} onInput=${setAmount} errors=${errors} />
        <${Field} name="reference" label="Transfer reference" value=${reference} onInput=${setReference} errors=${errors} />
        <${FormErrors} errors=${errors} fields=${['amount', 'reference']} />
        ${record.failure ? html`<${ErrorNotice} error=${record.failure} retry=${() => record.run()} />` : null}
        ${recorded ? html`<${Done}><p>Recorded <${MoneyText} money=${recorded} /> of owner capital.</p></${Done}>` : null}
        <button type="submit" class="primary" disabled=${record.busy}>Record contribution</button>
      </form>
    </${Page}>`;
}

/** @type {Operation<T.AutopilotQuery, T.AutopilotQueryVariables>} */
const AUTOPILOT = /* GraphQL */ `
  query Autopilot {
    autopilot(cycles: 10) {
      config { enabled intervalSeconds marginThreshold markupPct priceRounding maxListingsPerCycle sellerId configuredAt }
      cycles { id trigger status startedAt endedAt source found listed failureReason }
    }
    opportunities(first: 50) {
      edges { node { cycleId supplierProductId title supplierCost { amount currency } proposedPrice { amount currency }
        expectedMargin { amount currency } expectedMarginPct decision reason productId } }
    }
  }`;

/** @type {Operation<T.SetAutopilotMutation, T.SetAutopilotMutationVariables>} */
const SET_AUTOPILOT = /* GraphQL */ `
  mutation SetAutopilot($input: SetAutopilotInput!) {
    setAutopilot(input: $input) { autopilot { enabled intervalSeconds } userErrors { code message field } }
  }`;

/** @type {Operation<T.RunAutopilotCycleMutation, T.RunAutopilotCycleMutationVariables>} */
const RUN_AUTOPILOT_CYCLE = /* GraphQL */ `
  mutation RunAutopilotCycle($idempotencyKey: String) {
    runAutopilotCycle(idempotencyKey: $idempotencyKey) {
      cycle { id status found listed failureReason }
      opportunities { cycleId supplierProductId title supplierCost { amount currency } proposedPrice { amount currency }
        expectedMargin { amount currency } expectedMarginPct decision reason productId }
      userErrors { code message field }
    }
  }`;

/** An opportunity's columns, in the run's answer and in the list. */
const OPPORTUNITY_COLUMNS = [
  { label: 'Product', cell: (/** @type {any} */ row) => row.title },
  { label: 'Cost', number: true, cell: (/** @type {any} */ row) => html`<${MoneyText} money=${row.supplierCost} />` },
  { label: 'Price', number: true, cell: (/** @type {any} */ row) => html`<${MoneyText} money=${row.proposedPrice} />` },
  { label: 'Margin', number: true, cell: (/** @type {any} */ row) => html`<${MoneyText} money=${row.expectedMargin} /> <small>(${row.expectedMarginPct} %)</small>` },
  { label: 'Decision', cell: (/** @type {any} */ row) => html`<span class=${`badge badge-${row.decision.toLowerCase()}`}>${row.decision}</span>` },
  { label: 'Why', cell: (/** @type {any} */ row) => row.reason },
];

/** `/dashboard/admin/autopilot`: settings, run a cycle, cycles and opportunities. */
export function Autopilot() {
  const state = useLoad(() => request(AUTOPILOT, {}), []);
  const [form, setForm] = useState({ enabled: false, intervalSeconds: '3600', marginThreshold: '15', markupPct: '60', maxListingsPerCycle: '4', sellerId: '' });
  const [errors, setErrors] = useState(/** @type {import('../ui.js').UserError[]} */ ([]));
  const [message, setMessage] = useState('');
  /** @param {string} name */
  const set = (name) => (/** @type {string} */ value) => setForm({ ...form, [name]: value });
  const save = useAction(async () => {
    setMessage('');
    const { setAutopilot } = await request(SET_AUTOPILOT, {
      input: {
        enabled: form.enabled,
        intervalSeconds: Number.parseInt(form.intervalSeconds, 10) || 0,
        marginThreshold: form.marginThreshold.trim(),
        markupPct: form.markupPct.trim(),
        maxListingsPerCycle: Number.parseInt(form.maxListingsPerCycle, 10) || 0,
        sellerId: form.sellerId.trim() || null,
      },
    });
    setErrors(setAutopilot.userErrors);
    if (setAutopilot.autopilot) {
      setMessage(`Autopilot saved: ${setAutopilot.autopilot.enabled ? `a cycle every ${setAutopilot.autopilot.intervalSeconds} s` : 'the schedule is off'}.`);
      state.reload();
    }
  });
  // The run's own answer is shown at once: the autopilot's read model,
  // which the tables below read, follows the log a moment later (and this
  // query takes no consistentAfter).
  const [lastRun, setLastRun] = useState(/** @type {T.RunAutopilotCycleMutation['runAutopilotCycle']['opportunities'] | null} */ (null));
  const run = useAction(async () => {
    setMessage('');
    const { runAutopilotCycle } = await request(RUN_AUTOPILOT_CYCLE, { idempotencyKey: crypto.randomUUID() });
    if (runAutopilotCycle.userErrors.length) throw new Error(runAutopilotCycle.userErrors.map((error) => error.message).join(' '));
    setLastRun(runAutopilotCycle.opportunities);
    const cycle = runAutopilotCycle.cycle;
    if (cycle) setMessage(`Cycle ${cycle.status.toLowerCase()}: ${cycle.found} found, ${cycle.listed} listed.${cycle.failureReason ? ` ${cycle.failureReason}` : ''}`);
    state.reload();
  });
  return html`
    <${Page} title="Autopilot" actions=${html`<${Refresh} onClick=${state.reload} busy=${state.loading} />`}>
      ${message ? html`<${Done}><p class="autopilot-message">${message}</p></${Done}>` : null}
      ${run.failure ? html`<${ErrorNotice} error=${run.failure} retry=${() => run.run()} />` : null}
      <div class="actions"><button type="button" class="primary" onClick=${() => run.run()} disabled=${run.busy}>Run a cycle now</button></div>
      ${lastRun
        ? html`<${Table} caption="The cycle just run: every candidate, best first" rows=${lastRun}
            rowKey=${(/** @type {any} */ row) => row.supplierProductId} empty="The cycle found no candidates." columns=${OPPORTUNITY_COLUMNS} />`
        : null}
      <${Loaded} state=${state} render=${(/** @type {T.AutopilotQuery} */ data) => html`
        <p>${data.autopilot.config
          ? `Schedule ${data.autopilot.config.enabled ? `on, every ${data.autopilot.config.intervalSeconds} s` : 'off'}; margin at least ${data.autopilot.config.marginThreshold} %, markup ${data.autopilot.config.markupPct} %, up to ${data.autopilot.config.maxListingsPerCycle} listings a cycle.`
          : 'Not configured yet.'}</p>
        <${Table} caption="Latest cycles" rows=${data.autopilot.cycles} rowKey=${(/** @type {any} */ row) => row.id} empty="No cycle has run yet."
          columns=${[
            { label: 'Started', cell: (/** @type {any} */ row) => formatTime(row.startedAt) },
            { label: 'Trigger', cell: (/** @type {any} */ row) => row.trigger },
            { label: 'Status', cell: (/** @type {any} */ row) => html`<${StatusBadge} status=${row.status} />` },
            { label: 'Found', number: true, cell: (/** @type {any} */ row) => row.found },
            { label: 'Listed', number: true, cell: (/** @type {any} */ row) => row.listed },
            { label: 'Why it failed', cell: (/** @type {any} */ row) => row.failureReason ?? '' },
          ]} />
        <${Table} caption="Opportunities" rows=${data.opportunities.edges.map((edge) => edge.node)}
          rowKey=${(/** @type {any} */ row) => `${row.cycleId}/${row.supplierProductId}`} empty="No opportunities yet."
          columns=${OPPORTUNITY_COLUMNS} />`} />
      <h2>Settings</h2>
      <form class="form" onSubmit=${(/** @type {Event} */ event) => { event.preventDefault(); save.run(); }} novalidate>
        <div class="field">
          <label><input type="checkbox" checked=${form.enabled}
            onChange=${(/** @type {Event} */ event) => setForm({ ...form, enabled: /** @type {HTMLInputElement} */ (event.currentTarget).checked })} /> Run cycles on a schedule</label>
        </div>
        <${Field} name="intervalSeconds" label="Seconds between cycles" inputmode="numeric" value=${form.intervalSeconds} onInput=${set('intervalSeconds')} errors=${errors} />
        <${Field} name="marginThreshold" label="Least margin (%)" inputmode="decimal" value=${form.marginThreshold} onInput=${set('marginThreshold')} errors=${errors} />
        <${Field} name="markupPct" label="Markup on landed cost (%)" inputmode="decimal" value=${form.markupPct} onInput=${set('markupPct')} errors=${errors} />
        <${Field} name="maxListingsPerCycle" label="Most listings a cycle" inputmode="numeric" value=${form.maxListingsPerCycle} onInput=${set('maxListingsPerCycle')} errors=${errors} />
        <${Field} name="sellerId" label="Seller's user id" required=${false} value=${form.sellerId} onInput=${set('sellerId')} errors=${errors}
          hint="Empty: the first user with a PayPal payout e-mail." />
        <${FormErrors} errors=${errors} fields=${['intervalSeconds', 'marginThreshold', 'markupPct', 'maxListingsPerCycle', 'sellerId']} />
        ${save.failure ? html`<${ErrorNotice} error=${save.failure} retry=${() => save.run()} />` : null}
        <button type="submit" disabled=${save.busy}>Save autopilot</button>
      </form>
    </${Page}>`;
}

/** @type {Operation<T.SetUserRoleMutation, T.SetUserRoleMutationVariables>} */
const SET_USER_ROLE = /* GraphQL */ `
  mutation SetUserRole($userId: ID!, $role: Role!) {
    setUserRole(userId: $userId, role: $role) { user { id email role } userErrors { code message field } }
  }`;

/** @type {Operation<T.UsersQuery, T.UsersQueryVariables>} */
const USERS = /* GraphQL */ `
  query Users($first: Int, $after: String, $consistentAfter: Int) {
    users(first: $first, after: $after, consistentAfter: $consistentAfter) {
      edges { node { id email role } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

/** @typedef {T.UsersQuery['users']['edges'][number]['node']} UserRow */

/**
 * Every user, in registration order (up to a bound of pages).
 * @returns {Promise<UserRow[]>}
 */
async function allUsers() {
  /** @type {UserRow[]} */
  const rows = [];
  /** @type {string | null | undefined} */
  let after;
  for (let page = 0; page < SUMMARY_PAGES_MAX; page += 1) {
    const { users } = await request(USERS, { first: PAGE_SIZE, after });
    rows.push(...users.edges.map((edge) => edge.node));
    if (!users.pageInfo.hasNextPage) break;
    after = users.pageInfo.endCursor;
  }
  return rows;
}

/** `/dashboard/admin/users`: every user with their role; grant a role. */
export function Users() {
  const state = useLoad(allUsers, []);
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState(/** @type {'ADMIN' | 'USER' | 'ACCOUNTANT'} */ ('ACCOUNTANT'));
  const [errors, setErrors] = useState(/** @type {import('../ui.js').UserError[]} */ ([]));
  const [done, setDone] = useState('');
  const grant = useAction(async () => {
    setDone('');
    const { setUserRole } = await request(SET_USER_ROLE, { userId: userId.trim(), role });
    setErrors(setUserRole.userErrors.map((error) => ({ ...error, field: error.field ?? 'userId' })));
    if (setUserRole.user) {
      setDone(`${setUserRole.user.email} is now ${setUserRole.user.role}.`);
      state.reload();
    }
  });
  return html`
    <${Page} title="Users and roles">
      <${Loaded} state=${state} render=${(/** @type {UserRow[]} */ people) => html`
        <${Table} caption="Users" rows=${people} rowKey=${(/** @type {UserRow} */ row) => row.id}
          columns=${[
            { label: 'E-mail', cell: (/** @type {UserRow} */ row) => row.email },
            { label: 'Role', cell: (/** @type {UserRow} */ row) => row.role },
            { label: 'User id', cell: (/** @type {UserRow} */ row) => html`<button type="button" class="link" onClick=${() => setUserId(row.id)}
                aria-label=${`Choose ${row.email}`}><${ShortId} id=${row.id} /></button>` },
          ]} />`} />
      <h2>Grant a role</h2>
      <form class="form" onSubmit=${(/** @type {Event} */ event) => { event.preventDefault(); grant.run(); }} novalidate>
        <${Field} name="userId" label="User id" value=${userId} onInput=${setUserId} errors=${errors} />
        <div class="field">
          <label for="field-role">Role</label>
          <select id="field-role" value=${role} onChange=${(/** @type {Event} */ event) => setRole(/** @type {any} */ (/** @type {HTMLSelectElement} */ (event.currentTarget).value))}>
            <option value="USER">USER</option>
            <option value="ACCOUNTANT">ACCOUNTANT</option>
            <option value="ADMIN">ADMIN</option>
          </select>
        </div>
        <${FormErrors} errors=${errors} fields=${['userId']} />
        ${grant.failure ? html`<${ErrorNotice} error=${grant.failure} retry=${() => grant.run()} />` : null}
        ${done ? html`<${Done}><p>${done}</p></${Done}>` : null}
        <button type="submit" class="primary" disabled=${grant.busy}>Grant role</button>
      </form>
    </${Page}>`;
}

/** @type {Operation<T.ProjectionsQuery, T.ProjectionsQueryVariables>} */
const PROJECTIONS = /* GraphQL */ `
  query Projections {
    projections { name position lag status error failedPosition }
  }`;

/** `/dashboard/admin/projections`: each read model's position, lag, state. */
export function Projections() {
  const state = useLoad(() => request(PROJECTIONS, {}), []);
  return html`
    <${Page} title="Read models" actions=${html`<${Refresh} onClick=${state.reload} busy=${state.loading} />`}>
      <${Loaded} state=${state} render=${(/** @type {T.ProjectionsQuery} */ data) => html`
        <${Table} caption="Read models" rows=${data.projections} rowKey=${(/** @type {any} */ row) => row.name}
          columns=${[
            { label: 'Name', cell: (/** @type {any} */ row) => row.name },
            { label: 'Status', cell: (/** @type {any} */ row) => html`<${StatusBadge} status=${row.status} />` },
            { label: 'Position', number: true, cell: (/** @type {any} */ row) => row.position },
            { label: 'Lag (events)', number: true, cell: (/** @type {any} */ row) => row.lag },
            { label: 'Error', cell: (/** @type {any} */ row) => (row.error ? `${row.error} (at ${row.failedPosition})` : '') },
          ]} />`} />
    </${Page}>`;
}
