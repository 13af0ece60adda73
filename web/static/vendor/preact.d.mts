// The types of the vendored preact.mjs: the package's own.
export * from 'preact';
