// What both entries share: the session, the view models and the WebSocket connector. Browser-safe: no Node
// built-ins here or below.
export {
  StudioSession,
  type SessionEvents,
  type SessionState,
  type SnapshotHeader,
  type StudioSessionOptions,
} from './studio-session.js';
export {
  assetPageRows,
  navigatorRows,
  type NavigatorAssetRow,
  type NavigatorBadge,
  type NavigatorFolderRow,
  type NavigatorOptions,
  type NavigatorRow,
} from './view-models/navigator.js';
export { assetDetails, type AssetDetails } from './view-models/asset-details.js';
export { diagnosticsPanel, type DiagnosticsGroup, type DiagnosticsPanel } from './view-models/diagnostics-panel.js';
export { diagnosticRows, type DiagnosticRow } from './view-models/diagnostic-row.js';
export { buildOutcome, type BuildOutcome } from './view-models/build-outcome.js';
export {
  mutationPreviewPanel,
  withPlanPage,
  type FilesystemMutationRow,
  type MutationPreviewPanel,
  type PlanListState,
  type RegistryMutationRow,
} from './view-models/mutation-preview.js';
export {
  DEFAULT_ACTIVITY_LIMIT,
  EMPTY_ACTIVITY,
  isFinished,
  reduceActivity,
  seedActivity,
  type ActivityFeed,
  type ActivityOutcome,
  type ActivityProgress,
  type ActivityRow,
  type ActivityStatus,
} from './view-models/activity-feed.js';
export { webSocketConnector, type WebSocketConnectorOptions, type WebSocketEndpoint } from './websocket-connector.js';
export type { WebSocketFactory, WebSocketLike } from './websocket-like.js';
export { PackerError } from '@packer/core/contract/runtime';
// The contract's types a Studio names, so that a page can import this entry alone.
export type {
  AssetListItem,
  ErrorCode,
  MethodParams,
  MethodResult,
  MutationInput,
  Plan,
  PlanList,
  PlanSummary,
  Severity,
} from '@packer/core/contract';
