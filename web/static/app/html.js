// htm bound to Preact: tagged templates instead of JSX, so the files the
// browser runs are the files we write. htm builds elements with `h`, never
// with innerHTML, so every interpolated value is text, not markup.
import { h } from '../vendor/preact.mjs';
import htm from '../vendor/htm.mjs';

export const html = htm.bind(h);
