// `@packer/core/contract/runtime`: the zod-free part of the contract (errors, cursors, constants, the operation fold).
export * from './errors.js';
export * from './runtime-constants.js';
export * from './snapshot-summary.js';
export * from './operation-fold.js';
export * from './diagnostic-subjects.js';
export * from './plan-counts.js';
export * from './loopback-host.js';
