// The types of the vendored hooks.mjs: the package's own.
export * from 'preact/hooks';
