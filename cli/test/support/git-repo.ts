import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { developerEnv } from './packer-bin.js';

/**
 * A developer's environment for real `git` in a temp repository: a fixed identity, and no user or system git config,
 * so the repository sees only its own config (what `packer git install` / `packer init --git` wrote); and no search
 * for a repository above the temp folder (a stray `/tmp/.git` made `packer init --git` in a fresh folder join it).
 */
export const GIT_ENV: NodeJS.ProcessEnv = {
  ...developerEnv(),
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CEILING_DIRECTORIES: tmpdir(),
};

/** Runs `git` in `cwd` with GIT_ENV (unsigned commits) and returns its stdout; throws on a non-zero exit. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], { cwd, env: GIT_ENV, encoding: 'utf8' });
}
