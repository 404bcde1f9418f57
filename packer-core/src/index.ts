// Public surface of @packer/core. Consumers outside packer-core and daemon import only './contract'.
export * from './contract/index.js';
export { Workspace, parseMutation, type WorkspaceOptions, type ApplyCallOptions } from './workspace/workspace.js';
export type { SnapshotState } from './snapshot/snapshot-state.js';
export { SimulatedCrash, type CommitHook, type CommitPoint } from './commit/commit-journal.js';
export { loadConfig, validateConfig, CONFIG_FILE } from './config/load-config.js';
export { REGISTRY_FILE } from './registry/registry-store.js';
export { serializeRegistry, parseRegistry } from './registry/registry-codec.js';
export { normalizeProjectPath, isSameOrInside } from './paths/project-path.js';
export { newAssetId, newOperationId, looksLikeAssetId } from './ids/asset-id.js';
export { scanWorkspace, COOKIE_PREFIX, ignoreMatcher } from './scan/scanner.js';
export { hashFiles, hashFileSync } from './digest/hash-files.js';
export { initProject, defaultConfig, type InitResult } from './workspace/init-project.js';
