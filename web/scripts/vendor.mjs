// Copies Preact, its hooks and htm from node_modules into static/vendor, the
// files the browser loads as they are. Their bare `from "preact"` imports are
// pointed at the sibling file: a browser resolves bare names only through an
// import map, which would have to be an inline script (the CSP forbids them).
// Each copy gets a `.d.mts` beside it that re-exports the package's own types,
// so `tsc` checks the app against the real API.
//
// `node scripts/vendor.mjs --check` changes nothing and fails when the
// committed files differ from what the locked packages give (CI runs it).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const vendor = join(web, 'static', 'vendor');
const modules = join(web, 'node_modules');

/** [source under node_modules, target name, the package its types come from] */
const FILES = [
  ['preact/dist/preact.mjs', 'preact.mjs', 'preact'],
  ['preact/hooks/dist/hooks.mjs', 'hooks.mjs', 'preact/hooks'],
  ['htm/dist/htm.mjs', 'htm.mjs', 'htm'],
];

const check = process.argv.includes('--check');
let stale = [];
for (const [source, target, types] of FILES) {
  const { version, license } = JSON.parse(readFileSync(join(modules, source.split('/')[0], 'package.json'), 'utf8'));
  const code = readFileSync(join(modules, source), 'utf8').replace(/from\s*"preact"/g, 'from"./preact.mjs"');
  const wanted = {
    [target]: `/* ${source.split('/')[0]} ${version} (${license} licence), vendored by web/scripts/vendor.mjs */\n${code.replace(/\n\/\/# sourceMappingURL=.*$/, '')}\n`,
    [target.replace(/\.mjs$/, '.d.mts')]:
      `// The types of the vendored ${target}: the package's own.\nexport * from '${types}';\n` +
      (types === 'htm' ? `export { default } from 'htm';\n` : ''),
  };
  for (const [name, content] of Object.entries(wanted)) {
    const path = join(vendor, name);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
    if (current === content) continue;
    if (check) stale.push(name);
    else writeFileSync(path, content);
  }
}
if (stale.length) {
  console.error(`static/vendor is not what package-lock.json gives: ${stale.join(', ')}; run npm run vendor`);
  process.exit(1);
}
