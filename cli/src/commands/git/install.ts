import path from 'node:path';
import type { MergeDriverInstall } from '@packer/core';
import { PackerCommand } from '../../base/packer-command.js';
import { terminalText } from '../../render/terminal-text.js';

export type { MergeDriverInstall };

/**
 * Installs the registry merge driver for the repository holding `projectRoot` (the packer's own setup code, loaded
 * on demand): the command git runs is this CLI's own bin through this node, by absolute path, so it works from any
 * folder and needs no `packer` on git's PATH. Shared by `packer git install` and `packer init --git`.
 */
export async function installRegistryMergeDriver(
  projectRoot: string,
  cliRoot: string,
  options: { initRepository?: boolean } = {},
): Promise<MergeDriverInstall> {
  const { installMergeDriver } = await import('@packer/core');
  return installMergeDriver(projectRoot, [process.execPath, path.join(cliRoot, 'bin', 'run.js')], options);
}

/** What `packer git install` printed, for people. */
export function describeInstall(result: MergeDriverInstall): string[] {
  return [
    `${result.attributes === 'added' ? 'Added the merge rule to' : 'The merge rule is already in'} ${result.attributesFile} (commit it, so every clone uses it).`,
    `Set merge.packer-registry.driver in ${path.join(result.gitRoot, '.git', 'config')}: ${result.driver}`,
    'Each clone runs `packer git install` once: git does not share its config.',
  ];
}

export default class GitInstall extends PackerCommand<typeof GitInstall> {
  static override description =
    'Install the registry merge driver: git then merges the registry by asset id and marks only true conflicts.';
  static override examples = ['<%= config.bin %> git install', '<%= config.bin %> git install -C game'];

  async run(): Promise<MergeDriverInstall> {
    const result = await installRegistryMergeDriver(this.projectRoot(), this.config.root);
    if (!this.jsonEnabled()) for (const line of describeInstall(result)) this.log(terminalText(line));
    return result;
  }
}
