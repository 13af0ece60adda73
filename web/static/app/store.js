// A value that views can follow: the smallest thing that does what
// @preact/signals would here (a session, the current path), in 30 lines.
import { useEffect, useState } from '../vendor/hooks.mjs';

/**
 * @template T
 * @typedef {{ value: T, set: (value: T) => void, listen: (listener: (value: T) => void) => () => void }} Store
 */

/**
 * @template T
 * @param {T} initial
 * @returns {Store<T>}
 */
export function store(initial) {
  /** @type {Set<(value: T) => void>} */
  const listeners = new Set();
  const self = {
    value: initial,
    /** @param {T} value */
    set(value) {
      self.value = value;
      for (const listener of [...listeners]) listener(value);
    },
    /** @param {(value: T) => void} listener */
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return self;
}

/**
 * The store's value, re-rendering the caller when it changes.
 * @template T
 * @param {Store<T>} source
 * @returns {T}
 */
export function useStore(source) {
  const [value, setValue] = useState(source.value);
  useEffect(() => {
    setValue(source.value);
    return source.listen(setValue);
  }, [source]);
  return value;
}
