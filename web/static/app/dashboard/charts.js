// Pictures of the books, drawn as SVG elements (no chart library, no
// canvas, no inline style). Heights come from exact decimals through
// integer arithmetic (money.js `proportion`); each chart also has a
// table-like description for screen readers.
import { html } from '../html.js';
import { compare, decimal, formatMoney, proportion, toAmount } from '../money.js';

const WIDTH = 600;
const HEIGHT = 200;
const MARGIN = 24;

/**
 * @typedef {{ label: string, values: string[] }} Group  amounts (decimal strings), one per series
 */

/**
 * Grouped bars: one group per label (e.g. a day), one bar per series.
 * @param {{ title: string, series: string[], groups: Group[], currency: string }} props
 */
export function BarChart({ title, series, groups, currency }) {
  if (!groups.length) return html`<p class="empty">No data for "${title}" yet.</p>`;
  const zero = decimal('0');
  const max = groups
    .flatMap((group) => group.values.map(decimal))
    .reduce((top, value) => (compare(value, top) > 0 ? value : top), zero);
  const slot = (WIDTH - 2 * MARGIN) / groups.length;
  const bar = Math.max(2, Math.min(40, (slot - 6) / series.length));
  const plot = HEIGHT - 2 * MARGIN;
  const describe = groups
    .map((group) => `${group.label}: ${group.values.map((value, index) => `${series[index]} ${formatMoney({ amount: value, currency })}`).join(', ')}`)
    .join('; ');
  return html`
    <figure>
      <figcaption>${title}</figcaption>
      <svg class="chart" viewBox=${`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label=${`${title}. ${describe}`}>
        <line class="axis" x1=${MARGIN} y1=${HEIGHT - MARGIN} x2=${WIDTH - MARGIN} y2=${HEIGHT - MARGIN} />
        ${groups.map((group, index) => html`
          <g key=${group.label}>
            ${group.values.map((value, which) => {
              const height = proportion(decimal(value), max, plot);
              const negative = compare(decimal(value), zero) < 0;
              return html`<rect class=${`bar${which ? ' second' : ''}${negative ? ' bad' : ''}`}
                x=${MARGIN + index * slot + 3 + which * bar} y=${HEIGHT - MARGIN - height} width=${bar} height=${height}>
                <title>${`${group.label} · ${series[which]}: ${formatMoney({ amount: value, currency })}`}</title></rect>`;
            })}
            <text x=${MARGIN + index * slot + slot / 2} y=${HEIGHT - 8} text-anchor="middle">${group.label}</text>
          </g>`)}
        <text x=${MARGIN} y=${MARGIN - 8}>${formatMoney({ amount: toAmount(max), currency })}</text>
      </svg>
      <${Legend} series=${series} />
    </figure>`;
}

/** @param {{ series: string[] }} props */
function Legend({ series }) {
  return html`<p class="legend" aria-hidden="true">${series.map((name, index) => html`<span><span class=${`swatch${index ? ' second' : ''}`}></span>${name}</span>`)}</p>`;
}

/**
 * Counts as horizontal bars, e.g. the order funnel.
 * @param {{ title: string, rows: { label: string, count: number }[] }} props
 */
export function CountChart({ title, rows }) {
  const top = Math.max(1, ...rows.map((row) => row.count));
  const line = 26;
  const height = rows.length * line + 8;
  const labelWidth = 170;
  return html`
    <figure>
      <figcaption>${title}</figcaption>
      <svg class="chart" viewBox=${`0 0 ${WIDTH} ${height}`} role="img"
        aria-label=${`${title}. ${rows.map((row) => `${row.label}: ${row.count}`).join(', ')}`}>
        ${rows.map((row, index) => html`
          <g key=${row.label}>
            <text x="0" y=${index * line + 18}>${row.label}</text>
            <rect class="bar" x=${labelWidth} y=${index * line + 6} height="16"
              width=${Math.round(((WIDTH - labelWidth - 40) * row.count) / top)} />
            <text x=${labelWidth + Math.round(((WIDTH - labelWidth - 40) * row.count) / top) + 6} y=${index * line + 18}>${row.count}</text>
          </g>`)}
      </svg>
    </figure>`;
}
