// The shared contract: schemas, types and error codes. Pure: no Node built-ins, safe in a browser bundle.
export * from './errors.js';
export * from './config-schema.js';
export * from './registry-schema.js';
export * from './diagnostics.js';
export * from './snapshot-schema.js';
export * from './mutation-schema.js';
export * from './events.js';
export * from './methods.js';
export * from './build-schema.js';
export * from './contract-docs.js';
export * from './snapshot-summary.js';
export * from './operation-fold.js';
export * from './diagnostic-subjects.js';
export * from './tag-name.js';
