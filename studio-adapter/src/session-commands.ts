import type { ApplySummary, MethodParams, MethodResult, MutationInput, PlanSummary } from '@packer/core/contract';
import type { DaemonClient } from '@packer/client/browser';

/**
 * The reads and commands a session passes straight to the packer: what the packer answers comes back unchanged,
 * and its refusals (conflicts, blockers, expired plans) come back as the packer's PackerError.
 */
export class SessionCommands {
  protected constructor(readonly client: DaemonClient) {}

  // Reads: the packer's answers, unchanged.

  getAsset(ref: string, options: { sync?: boolean } = {}): Promise<MethodResult<'assets.get'>> {
    return this.client.call('assets.get', { ref, ...options });
  }

  listDiagnostics(params: MethodParams<'diagnostics.list'> = {}): Promise<MethodResult<'diagnostics.list'>> {
    return this.client.call('diagnostics.list', params);
  }

  /** One page of assets (and untracked files), filtered by kind, tag, status or folder and paged by the packer. */
  listAssets(params: MethodParams<'assets.list'> = {}): Promise<MethodResult<'assets.list'>> {
    return this.client.call('assets.list', params);
  }

  // Commands: passed through; conflicts and blockers come back as the packer's PackerError.

  /** The packer's plan for a mutation, summarised (counts, the first items, blockers); changes nothing. */
  previewMutation(mutation: MutationInput): Promise<PlanSummary> {
    return this.client.call('mutation.preview', { mutation });
  }

  /** One page of a previewed plan's list (all of its registry changes, say); PLAN_EXPIRED once the daemon dropped
   * it. */
  planItems(params: MethodParams<'plan.items'>): Promise<MethodResult<'plan.items'>> {
    return this.client.call('plan.items', params);
  }

  /**
   * Applies a previewed plan by its id at its revision: refused with PLAN_EXPIRED (or CONFLICT) if the snapshot
   * moved past it, BLOCKED when the re-plan has blockers.
   */
  applyPreview(
    plan: Pick<PlanSummary, 'planId' | 'baseRevision'>,
    options: { idempotencyKey?: string } = {},
  ): Promise<ApplySummary> {
    return this.client.call('mutation.apply', { planId: plan.planId, expectedRevision: plan.baseRevision, ...options });
  }

  cancel(operationId: string): Promise<MethodResult<'operations.cancel'>> {
    return this.client.call('operations.cancel', { operationId });
  }

  /** Queues a build; follow it in the activity feed by its operation id. */
  startBuild(params: MethodParams<'build.start'> = {}): Promise<MethodResult<'build.start'>> {
    return this.client.call('build.start', params);
  }
}
