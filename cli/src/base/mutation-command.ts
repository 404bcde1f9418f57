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
 * Preview → confirm → apply, for every mutation command. The plan and the outcome are the packer's; this only
 * shows them, asks on a TTY, and applies with the preview's revision as `expectedRevision`.
 */
export abstract class MutationCommand<T extends typeof Command> extends PackerCommand<T> {
  static override baseFlags = {
    ...PackerCommand.baseFlags,
    yes: Flags.boolean({ char: 'y', description: 'Apply without asking.', default: false }),
    'dry-run': Flags.boolean({ description: 'Only show the preview; change nothing.', default: false }),
  };

  protected async previewAndApply(mutation: MutationInput): Promise<MutationOutcome> {
    const client = await this.client();
    const flags = this.flags as { yes?: boolean; 'dry-run'?: boolean };
    const plan = await client.call('mutation.preview', { mutation, sync: true });
    const quiet = this.jsonEnabled();
    if (!quiet) this.log(renderPlan(plan));
    if (plan.blockers.length > 0) {
      throw new PackerError('BLOCKED', `Not applied: the plan has ${plan.blockers.length} blocker(s).`, {
        blockers: plan.blockers,
        hint: plan.blockers[0]?.hint ?? 'Resolve the blockers above, then run the command again.',
      });
    }
    if (flags['dry-run'] || (plan.registryMutations.length === 0 && plan.filesystemMutations.length === 0)) return { plan, applied: false };
    if (!flags.yes && process.stdin.isTTY && process.stdout.isTTY && !quiet) {
      if (!(await confirm('Apply these changes? [y/N] '))) {
        this.log('Nothing applied.');
        return { plan, applied: false };
      }
    }
    let result: ApplyResult;
    try {
      result = await client.call('mutation.apply', { mutation, expectedRevision: plan.baseRevision });
    } catch (error) {
      if (error instanceof PackerError && error.code === 'CONFLICT') {
        throw new PackerError('CONFLICT', `Not applied: the project changed since the preview (revision ${plan.baseRevision} → ${String(error.data.currentRevision ?? '?')}).`, {
          ...error.data,
          hint: 'Someone or something changed the project meanwhile. Run the command again to preview against the new state.',
        });
      }
      throw error;
    }
    if (!quiet) this.log(`Applied: revision ${result.revisionBefore} → ${result.revisionAfter} (operation ${result.operationId}).`);
    return { plan, applied: true, result };
  }
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
