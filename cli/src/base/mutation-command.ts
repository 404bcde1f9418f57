import { createInterface } from 'node:readline/promises';
import { Command, Flags } from '@oclif/core';
import { PackerError } from '@packer/core/contract/runtime';
import type { ApplyResult, MutationInput, Plan } from '@packer/core/contract';
import { renderPlan } from '../render/render-plan.js';
import { PackerCommand } from './packer-command.js';

export interface MutationOutcome {
  plan: Plan;
  applied: boolean;
  result?: ApplyResult;
}

/**
 * Preview → confirm → apply, for every mutation command. The plan, its blockers and the outcome are the
 * packer's: this shows the plan, asks for a confirmation, and applies with the preview's revision as
 * `expectedRevision`, printing whatever the packer answers (a blocked plan is refused, and audited, by the packer).
 *
 * Confirmation: every apply that changes something needs one. `--yes` gives it; otherwise the CLI asks when
 * stdin is a terminal (on stderr, so a piped stdout does not hide the question) and refuses with
 * CONFIRMATION_REQUIRED (exit 2) when it is not. A plan with blockers needs none: the packer will refuse it.
 */
export abstract class MutationCommand<T extends typeof Command> extends PackerCommand<T> {
  static override baseFlags = {
    ...PackerCommand.baseFlags,
    yes: Flags.boolean({ char: 'y', description: 'Apply without asking (required when stdin is not a terminal).', default: false }),
    'dry-run': Flags.boolean({ description: 'Only show the preview; change nothing. Exits 1 when the plan has blockers.', default: false }),
  };

  protected async previewAndApply(mutation: MutationInput): Promise<MutationOutcome> {
    const client = await this.client();
    const flags = this.flags as { yes?: boolean; 'dry-run'?: boolean };
    const plan = await client.call('mutation.preview', { mutation, sync: true });
    const json = this.jsonEnabled();
    if (!json) this.log(renderPlan(plan));
    const blocked = plan.blockers.length > 0;
    if (flags['dry-run']) {
      // A preview that could not be applied fails like `packer check` does: the plan above says why.
      if (blocked) {
        if (json) this.logJson({ plan, applied: false });
        this.exit(1);
      }
      return { plan, applied: false };
    }
    if (!blocked && plan.registryMutations.length === 0 && plan.filesystemMutations.length === 0) return { plan, applied: false };
    if (!blocked && !flags.yes && !(await this.confirmed(plan))) {
      if (!json) this.log('Nothing applied.');
      return { plan, applied: false };
    }
    const result = await client.call('mutation.apply', { mutation, expectedRevision: plan.baseRevision });
    if (!json) this.log(`Applied: revision ${result.revisionBefore} → ${result.revisionAfter} (operation ${result.operationId}).`);
    return { plan, applied: true, result };
  }

  /** Asks on the terminal; without one there is nobody to ask, so the command refuses. */
  private async confirmed(plan: Plan): Promise<boolean> {
    if (!process.stdin.isTTY) {
      const deletes = plan.filesystemMutations.filter((change) => change.op === 'delete').length;
      const what = deletes > 0 ? `deletes ${deletes} file(s)` : plan.filesystemMutations.length > 0 ? 'moves files' : 'changes the registry';
      // The client's own refusal (it had nobody to ask), not a packer outcome: nothing was sent to apply.
      throw new PackerError('CONFIRMATION_REQUIRED', `Not applied: this ${plan.mutation.type} ${what}, and there is no terminal on stdin to confirm it.`, {
        hint: 'Pass --yes to apply without asking, or --dry-run to only preview.',
        baseRevision: plan.baseRevision,
      });
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
}
