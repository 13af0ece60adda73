// What the dashboard's sections share: tables, a refresh button, notices,
// and live reloading from the event log.
/** @import * as T from '../../../types/graphql' */
/** @import { Operation } from '../graphql.js' */
import { useEffect, useRef } from '../../vendor/hooks.mjs';
import { html } from '../html.js';
import { request, subscribe } from '../graphql.js';

/**
 * Rows per page of a dashboard list: the API allows 200, but a page's
 * complexity (rows × fields) must stay under its limit of 2,000.
 */
export const PAGE_SIZE = 50;
/** Pages read for a whole-history summary (charts, the funnel). */
export const SUMMARY_PAGES_MAX = 40;

/** @type {Operation<T.LogHeadQuery, T.LogHeadQueryVariables>} */
const LOG_HEAD = /* GraphQL */ `
  query LogHead { projections { position lag } }`;

/** @type {Operation<T.LogEventsSubscription, T.LogEventsSubscriptionVariables>} */
const LOG_EVENTS = /* GraphQL */ `
  subscription LogEvents($afterPosition: Int!) { events(afterPosition: $afterPosition) { position } }`;

/** How long a burst of events is awaited before one reload. */
const LIVE_RELOAD_DELAY_MS = 400;

/**
 * Calls `reload(position)` after new events commit, at most once per
 * burst, with the last event's position (to pass as `consistentAfter`, so
 * the reload sees it). The `events` subscription is ADMIN's and
 * ACCOUNTANT's only: for others (`enabled` false) the page keeps its
 * Refresh button alone.
 * @param {(position: number) => void} reload
 * @param {boolean} enabled
 */
export function useLiveReload(reload, enabled) {
  const latest = useRef(reload);
  latest.current = reload;
  useEffect(() => {
    if (!enabled) return undefined;
    let stopped = false;
    let stop = () => {};
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    request(LOG_HEAD, {}).then(
      ({ projections }) => {
        if (stopped) return;
        const head = Math.max(0, ...projections.map((projection) => projection.position + projection.lag));
        stop = subscribe(LOG_EVENTS, { afterPosition: head }, {
          next: ({ events }) => {
            clearTimeout(timer);
            timer = setTimeout(() => latest.current(events.position ?? head), LIVE_RELOAD_DELAY_MS);
          },
        });
      },
      () => {
        // Without the head there is nothing to follow from: Refresh still works.
      },
    );
    return () => {
      stopped = true;
      clearTimeout(timer);
      stop();
    };
  }, [enabled]);
}

/**
 * A column: its header, its cell, and its value in the CSV export (`csv`;
 * columns without one, such as buttons, are left out of the file).
 * `csvOnly` columns are in the file but not on the page.
 * @template R
 * @typedef {{ label: string, cell?: (row: R) => any, number?: boolean, csv?: (row: R) => unknown, csvOnly?: boolean }} Column
 */

/**
 * One CSV cell: quoted, quotes doubled, and a leading `=`, `+`, `-`, `@`
 * or control character defused with an apostrophe, so a spreadsheet never
 * runs a value from the log as a formula.
 * @param {unknown} value
 */
export function csvCell(value) {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

/**
 * `rows` as a CSV file in a data: URL. A data: link, not a blob: one: the
 * CSP lets the page fetch nothing but this origin, and a data: link needs
 * no fetch.
 * @template R
 * @param {string[]} header
 * @param {R[]} rows
 * @param {(row: R) => unknown[]} values
 */
export function csvUrl(header, rows, values) {
  const lines = [header.map(csvCell).join(',')];
  for (const row of rows) lines.push(values(row).map(csvCell).join(','));
  return `data:text/csv;charset=utf-8,${encodeURIComponent(`${lines.join('\r\n')}\r\n`)}`;
}

/**
 * A table that scrolls sideways on a phone instead of squeezing; with
 * `csvName`, a link under it exports its rows (amounts as the exact
 * decimal strings the API sent).
 * @template R
 * @param {{ caption: string, columns: Column<R>[], rows: R[], empty?: string, rowKey: (row: R) => string, footer?: any, csvName?: string }} props
 */
export function Table({ caption, columns, rows, empty = 'Nothing yet.', rowKey, footer, csvName }) {
  if (!rows.length) return html`<p class="empty">${empty}</p>`;
  const shown = columns.filter((column) => !column.csvOnly);
  const exported = csvName ? columns.filter((column) => column.csv) : [];
  return html`
    <div class="table-wrap" role="region" aria-label=${caption} tabindex="0">
      <table>
        <caption>${caption}</caption>
        <thead><tr>${shown.map((column) => html`<th scope="col" class=${column.number ? 'number' : ''}>${column.label}</th>`)}</tr></thead>
        <tbody>
          ${rows.map((row) => html`
            <tr key=${rowKey(row)}>${shown.map((column) => html`<td class=${column.number ? 'number' : ''}>${column.cell?.(row)}</td>`)}</tr>`)}
        </tbody>
        ${footer ? html`<tfoot>${footer}</tfoot>` : null}
      </table>
    </div>
    ${exported.length
      ? html`<p><a class="csv" download=${csvName}
          href=${csvUrl(exported.map((column) => column.label), rows, (row) => exported.map((column) => column.csv?.(row)))}>Export “${caption}” as CSV</a></p>`
      : null}`;
}

/** @param {{ onClick: () => void, busy?: boolean }} props */
export function Refresh({ onClick, busy = false }) {
  return html`<button type="button" onClick=${onClick} disabled=${busy}>Refresh</button>`;
}

/** @param {{ children?: any }} props */
export function Done({ children }) {
  return html`<div class="notice ok" role="status">${children}</div>`;
}

/**
 * Short form of an id for tables (the full id is in the title).
 * @param {{ id: string | null | undefined }} props
 */
export function ShortId({ id }) {
  if (!id) return '—';
  return html`<code title=${id}>${id.slice(0, 8)}</code>`;
}
