// The types of the vendored htm.mjs: the package's own.
export * from 'htm';
export { default } from 'htm';
