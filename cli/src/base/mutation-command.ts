import { createInterface } from 'node:readline/promises';
import type { Command } from '@oclif/core';
import { Flags } from '@oclif/core';
import { PackerError, PAGE_SIZES } from '@packer/core/contract/runtime';
import type { MutationInput, PlanList, PlanSummary } from '@packer/core/contract';
import type { DaemonClient } from '@packer/client';
import { renderPlan, SHOWN_ITEMS } from '../render/render-plan.js';
import { appliedLine, applyWarnings, nothingToApply, type MutationOutcome } from './mutation-outcome.js';
import { PackerCommand } from './packer-command.js';

export type { MutationOutcome } from './mutation-outcome.js';

const PLAN_LISTS: PlanList[] = ['blockers', 'warnings', 'registryMutations', 'filesystemMutations'];

/**
 * Preview → confirm → apply, for every mutation command. The plan, its blockers and the outcome are the
 * packer's: this shows the plan, asks for a confirmation, and applies with the preview's revision as
 * `expectedRevision`, printing whatever the packer answers (a blocked plan is refused, and audited, by the packer).
 *
 * Confirmation: every apply that changes something needs one. `--yes` gives it; otherwise the CLI asks when
 * stdin is a terminal (on stderr, so a piped stdout does not hide the question) and refuses with
 * CONFIRMATION_REQUIRED (exit 2) when it is not. A plan with blockers needs none: the packer will refuse it.
 *
 * A plan of any size: the packer answers with a summary and keeps the whole plan under its `planId`; this prints
 * the counts and the first items, pages the rest for `--all` (lines) and `--ndjson` (one JSON item per line),
 * and applies the plan by its id and revision.
 */
export abstract class MutationCommand<T extends typeof Command> extends PackerCommand<T> {
  static override baseFlags = {
    ...PackerCommand.baseFlags,
    yes: Flags.boolean({
      char: 'y',
      description: 'Apply without asking (required when stdin is not a terminal).',
      default: false,
    }),
    'dry-run': Flags.boolean({
      description: 'Only show the preview; change nothing. Exits 1 when the plan has blockers.',
      default: false,
    }),
    all: Flags.boolean({
      description: `List every planned change (by default the first ${SHOWN_ITEMS} of each list and the counts).`,
      default: false,
    }),
    ndjson: Flags.boolean({
      description:
        'Print every item of the plan as one JSON line ({"list": …, "item": …}), paged from the daemon, before applying.',
      default: false,
      exclusive: ['json'],
    }),
  };

  protected async previewAndApply(mutation: MutationInput): Promise<MutationOutcome> {
    const client = await this.client();
    const flags = this.flags as { yes?: boolean; 'dry-run'?: boolean; all?: boolean; ndjson?: boolean };
    const plan = await client.call('mutation.preview', { mutation, sync: true });
    const json = this.jsonEnabled();
    if (flags.ndjson)
      await this.pageItems(client, plan, (list, items) =>
        items.forEach((item) => this.log(JSON.stringify({ list, item }))),
      );
    else if (!json)
      this.log(
        renderPlan(flags.all && plan.truncated ? await this.wholePlan(client, plan) : plan, {
          all: flags.all === true,
        }),
      );
    const blocked = plan.counts.blockers > 0;
    if (flags['dry-run']) {
      // A preview that could not be applied fails like `packer check` does: the plan above says why.
      if (blocked) {
        if (json) this.logJson({ plan, applied: false });
        this.exit(1);
      }
      return { plan, applied: false };
    }
    if (nothingToApply(plan)) return { plan, applied: false };
    if (!blocked && !flags.yes && !(await this.confirmed(plan))) {
      if (!json) this.log('Nothing applied.');
      return { plan, applied: false };
    }
    // The plan the person saw, at its revision: the daemon re-plans it in the lane and refuses if anything moved.
    const result = await client.call('mutation.apply', { planId: plan.planId, expectedRevision: plan.baseRevision });
    if (!json) this.log(appliedLine(result));
    for (const warning of applyWarnings(result)) this.warn(warning);
    return { plan, applied: true, result };
  }

  /** Asks on the terminal; without one there is nobody to ask, so the command refuses. */
  private async confirmed(plan: PlanSummary): Promise<boolean> {
    if (!process.stdin.isTTY) {
      const deletes = plan.counts.filesystem.delete;
      const what =
        deletes > 0
          ? `deletes ${deletes} file(s)`
          : plan.counts.filesystemMutations > 0
            ? 'moves files'
            : 'changes the registry';
      // The client's own refusal (it had nobody to ask), not a packer outcome: nothing was sent to apply.
      throw new PackerError(
        'CONFIRMATION_REQUIRED',
        `Not applied: this ${plan.mutation.type} ${what}, and there is no terminal on stdin to confirm it.`,
        {
          hint: 'Pass --yes to apply without asking, or --dry-run to only preview.',
          baseRevision: plan.baseRevision,
        },
      );
    }
    // With --json the plan went nowhere a person reads; show it with the question.
    if (this.jsonEnabled()) process.stderr.write(`${renderPlan(plan)}\n`);
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await rl.question('Apply these changes? [y/N] ')).trim());
    } finally {
      rl.close();
    }
  }

  /** Every item of the plan, list by list in plan order, paged from the daemon. */
  private async pageItems(
    client: DaemonClient,
    plan: PlanSummary,
    take: (list: PlanList, items: unknown[]) => void,
  ): Promise<void> {
    for (const list of PLAN_LISTS) {
      if (plan.counts[list] === 0) continue;
      let page: string | undefined;
      do {
        const answer = await client.call('plan.items', {
          planId: plan.planId,
          list,
          ...(page ? { page } : {}),
          limit: PAGE_SIZES['plan.items'].max,
        });
        take(list, answer.items);
        page = answer.nextPage;
      } while (page);
    }
  }

  /** The summary with every item of each list (for `--all`: a person asked to see them all). */
  private async wholePlan(client: DaemonClient, plan: PlanSummary): Promise<PlanSummary> {
    const lists: Record<PlanList, unknown[]> = {
      blockers: [],
      warnings: [],
      registryMutations: [],
      filesystemMutations: [],
    };
    await this.pageItems(client, plan, (list, items) => lists[list].push(...items));
    return { ...plan, ...(lists as Pick<PlanSummary, PlanList>) };
  }
}
