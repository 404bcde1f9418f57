import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PackerError } from '../contract/errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { REGISTRY_FILE, REGISTRY_FOLDER } from './registry-shards.js';
import { shellQuote } from './shell-quote.js';

export { shellQuote };

/** The merge driver's name in `.gitattributes` and in git's config (`merge.<name>.driver`). */
export const MERGE_DRIVER_NAME = 'packer-registry';

/** The `.gitattributes` line that hands the registry to the driver. */
export const MERGE_ATTRIBUTES_LINE = `${REGISTRY_FILE} merge=${MERGE_DRIVER_NAME}`;
/** The `.gitattributes` line that hands each shard of a sharded registry to the driver (each is a whole registry). */
export const MERGE_ATTRIBUTES_SHARD_LINE = `${REGISTRY_FOLDER}/*.json merge=${MERGE_DRIVER_NAME}`;

export interface MergeDriverInstall {
  /** The git work tree's top folder. */
  gitRoot: string;
  /** The `.gitattributes` written (next to the registry, so it also holds in a project below the repository's top). */
  attributesFile: string;
  /** Whether a line was added now or both were already there. */
  attributes: 'added' | 'present';
  /** The command git now runs (`merge.packer-registry.driver`, in the repository's own config). */
  driver: string;
}

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * Installs the registry merge driver for the git repository holding `projectRoot`: the `.gitattributes` line
 * (committed, so every clone routes the registry to the driver) and the driver command in the repository's config
 * (`git config` is per clone and never committed: each clone runs this once; without it git falls back to its line
 * merge, which format 2 keeps mostly clean). `command` is the packer's command line up to the subcommand (the CLI
 * passes its own node and bin paths, so it works from any folder); git appends `merge-driver %O %A %B %P`.
 * Idempotent. With `initRepository`, a folder outside any repository gets `git init` first.
 */
export function installMergeDriver(
  projectRoot: string,
  command: readonly string[],
  options: { initRepository?: boolean } = {},
): MergeDriverInstall {
  let gitRoot: string;
  try {
    gitRoot = git(projectRoot, ['rev-parse', '--show-toplevel']);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PackerError(
        'IO_ERROR',
        'Cannot run git: it is not installed or not on PATH.',
        { hint: 'Install git, then retry.' },
        { cause: error },
      );
    }
    if (!options.initRepository) {
      throw new PackerError('NOT_FOUND', `${projectRoot} is not inside a git repository.`, {
        path: projectRoot,
        hint: 'Run `git init` first (or `packer init --git`, which does).',
      });
    }
    git(projectRoot, ['init', '-q']);
    gitRoot = git(projectRoot, ['rev-parse', '--show-toplevel']);
  }
  const attributesFile = path.join(projectRoot, '.gitattributes');
  const current = existsSync(attributesFile) ? readFileSync(attributesFile, 'utf8') : '';
  const lines = new Set(current.split(/\r?\n/).map((line) => line.trim().split(/\s+/).join(' ')));
  const missing = [MERGE_ATTRIBUTES_LINE, MERGE_ATTRIBUTES_SHARD_LINE].filter((line) => !lines.has(line));
  const present = missing.length === 0;
  if (!present)
    writeFileAtomic(
      attributesFile,
      `${current}${current && !current.endsWith('\n') ? '\n' : ''}${missing.join('\n')}\n`,
    );
  const driver = [...command.map(shellQuote), 'merge-driver', '%O', '%A', '%B', '%P'].join(' ');
  git(projectRoot, ['config', `merge.${MERGE_DRIVER_NAME}.name`, 'packer registry: merge by asset id']);
  git(projectRoot, ['config', `merge.${MERGE_DRIVER_NAME}.driver`, driver]);
  return { gitRoot, attributesFile, attributes: present ? 'present' : 'added', driver };
}
