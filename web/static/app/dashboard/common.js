// What the dashboard's sections share: tables, a refresh button, notices.
import { html } from '../html.js';

/**
 * @template R
 * @typedef {{ label: string, cell: (row: R) => any, number?: boolean }} Column
 */

/**
 * A table that scrolls sideways on a phone instead of squeezing.
 * @template R
 * @param {{ caption: string, columns: Column<R>[], rows: R[], empty?: string, rowKey: (row: R) => string, footer?: any }} props
 */
export function Table({ caption, columns, rows, empty = 'Nothing yet.', rowKey, footer }) {
  if (!rows.length) return html`<p class="empty">${empty}</p>`;
  return html`
    <div class="table-wrap" role="region" aria-label=${caption} tabindex="0">
      <table>
        <caption>${caption}</caption>
        <thead><tr>${columns.map((column) => html`<th scope="col" class=${column.number ? 'number' : ''}>${column.label}</th>`)}</tr></thead>
        <tbody>
          ${rows.map((row) => html`
            <tr key=${rowKey(row)}>${columns.map((column) => html`<td class=${column.number ? 'number' : ''}>${column.cell(row)}</td>`)}</tr>`)}
        </tbody>
        ${footer ? html`<tfoot>${footer}</tfoot>` : null}
      </table>
    </div>`;
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
