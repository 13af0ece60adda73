// Money as the API sends it: `{ amount: "12.34", currency: "USD" }`, the
// amount a decimal string. It is shown with Intl.NumberFormat, which takes
// the string as it is (no rounding through a binary float), and summed, when
// a chart needs it, in BigInt minor units. Nothing here turns an amount
// into a JavaScript number.

/** @typedef {{ amount: string, currency: string }} Money */

/** @type {Map<string, Intl.NumberFormat>} */
const formats = new Map();

/** @param {string} currency */
function format(currency) {
  let formatter = formats.get(currency);
  if (!formatter) {
    formatter = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    formats.set(currency, formatter);
  }
  return formatter;
}

/**
 * `12.34 USD` as the reader's locale writes it, e.g. `$12.34`.
 * @param {Money | null | undefined} money
 */
export function formatMoney(money) {
  if (!money) return '—';
  // format() accepts a decimal string exactly (Intl.NumberFormat v3).
  return format(money.currency).format(/** @type {any} */ (money.amount));
}

/** A decimal string split into an integer and a scale: "12.340" → [12340n, 3]. */
/** @param {string} amount @returns {[bigint, number]} */
function parse(amount) {
  const text = amount.trim();
  if (!/^-?\d+(\.\d+)?$/.test(text)) throw new Error(`not a decimal amount: ${amount}`);
  const [whole, fraction = ''] = text.replace('-', '').split('.');
  const units = BigInt(whole + fraction) * (text.startsWith('-') ? -1n : 1n);
  return [units, fraction.length];
}

/**
 * An exact decimal, for sums and comparisons: value × 10^-scale.
 * @typedef {{ units: bigint, scale: number }} Decimal
 */

/** @param {string} amount @returns {Decimal} */
export function decimal(amount) {
  const [units, scale] = parse(amount);
  return { units, scale };
}

/** @param {Decimal} value @param {number} scale */
function rescale(value, scale) {
  return value.units * 10n ** BigInt(scale - value.scale);
}

/** @param {Decimal} a @param {Decimal} b @returns {Decimal} */
export function add(a, b) {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

/** @param {Decimal} a @param {Decimal} b @returns {Decimal} */
export function subtract(a, b) {
  return add(a, { units: -b.units, scale: b.scale });
}

/** @param {Decimal} a @param {Decimal} b */
export function compare(a, b) {
  const scale = Math.max(a.scale, b.scale);
  const difference = rescale(a, scale) - rescale(b, scale);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

/** The decimal as the API writes it, e.g. "-12.30". @param {Decimal} value */
export function toAmount(value) {
  const negative = value.units < 0n;
  const digits = (negative ? -value.units : value.units).toString().padStart(value.scale + 1, '0');
  const whole = digits.slice(0, digits.length - value.scale);
  const fraction = value.scale ? `.${digits.slice(digits.length - value.scale)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/**
 * Where `value` falls between 0 and `max`, in whole steps of `steps`
 * (e.g. pixels of a bar): integer arithmetic on the exact amounts.
 * @param {Decimal} value @param {Decimal} max @param {number} steps
 */
export function proportion(value, max, steps) {
  const scale = Math.max(value.scale, max.scale);
  const top = rescale(max, scale);
  if (top <= 0n) return 0;
  const part = rescale(value, scale);
  const clamped = part < 0n ? 0n : part > top ? top : part;
  return Number((clamped * BigInt(steps)) / top);
}

/**
 * Whether `text` is an amount a person may type for a price: digits, an
 * optional point and up to two decimals.
 * @param {string} text
 */
export function isAmount(text) {
  return /^\d{1,9}(\.\d{1,2})?$/.test(text.trim());
}
