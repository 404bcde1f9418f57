// Public surface of @packer/core. Consumers outside packer-core and daemon import only './contract'.
export * from './contract/index.js';
export { Workspace, parseMutation, type WorkspaceOptions, type ApplyCallOptions } from './workspace/workspace.js';
export { planCounts, planItems, planPageOffset, planPageToken, summarizePlan } from './mutations/plan-summary.js';
export type { SnapshotState } from './snapshot/snapshot-state.js';
export { divergenceChanges, firstDivergence } from './snapshot/divergence-changes.js';
export type { CommitHook, CommitPoint } from './commit/commit-journal.js';
export { loadConfig, validateConfig, CONFIG_FILE } from './config/load-config.js';
export { REGISTRY_FILE, REGISTRY_FOLDER } from './registry/registry-store.js';
export { serializeRegistry, parseRegistry } from './registry/registry-codec.js';
export {
  mergeRegistry,
  type RegistryMerge,
  type RegistryMergeConflict,
  type RegistryMergeWarning,
  type MergeSideNames,
} from './registry/merge-registry.js';
export {
  mergeRegistryTexts,
  type RegistryTextMerge,
  type RegistryTextMergeOptions,
} from './registry/merge-registry-text.js';
export {
  installMergeDriver,
  MERGE_DRIVER_NAME,
  MERGE_ATTRIBUTES_LINE,
  type MergeDriverInstall,
} from './registry/merge-driver-setup.js';
export { normalizeProjectPath, isSameOrInside } from './paths/project-path.js';
export { newAssetId, newOperationId } from './ids/asset-id.js';
export { scanWorkspace, COOKIE_PREFIX, ignoreMatcher } from './scan/scanner.js';
export { hashFiles, hashFileSync } from './digest/hash-files.js';
export {
  initProject,
  defaultConfig,
  ENGINES,
  type Engine,
  type InitOptions,
  type InitResult,
} from './workspace/init-project.js';
export type { BuildOptions } from './processing/run-build.js';
export { runBuild } from './build-on-demand.js';
export {
  planBuild,
  describePlan,
  selectRules as selectPackRules,
  type BuildPlan,
  type PlannedPack,
  type PlannedEntry,
} from './processing/plan-build.js';
export type { BuildProgress } from './processing/build-progress.js';
export { preflightDiagnostics } from './processing/build-preflight.js';
export { restoreLastBuilds } from './processing/build-state.js';
export { outputCacheStats, pruneOutputCache } from './processing/cache-maintenance.js';
export { remoteCacheHealth } from './processing/remote-cache/remote-cache.js';
export { recoverBuildFolder, interruptedBuildError, type BuildRecovery } from './packs/recover-build.js';
export { PackReader } from './packs/pack-reader.js';
export { verifyPack } from './packs/verify-pack.js';
export { listPacks, listPackEntries, readManifest, resolvePack, verifyPackFiles } from './packs/pack-queries.js';
export { packFilesOf, type PackFiles } from './packs/pack-files.js';
export { toolSandboxState } from './processing/processors/tool-sandbox-state.js';
export { turnEventLoop } from './workspace/turn-event-loop.js';
