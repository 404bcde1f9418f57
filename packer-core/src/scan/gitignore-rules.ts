import { lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** The file whose patterns a folder's walk honours when `gitignore` is on. */
export const GITIGNORE_FILE = '.gitignore';

/** One file of patterns, and how a project-relative path reads from the folder that file sits in. */
interface RuleLevel {
  local(relative: string): string;
  rules: Ignore;
}

/**
 * What git ignores under one project, read the way git reads it: `.gitignore` files in every folder (a deeper
 * file overrides a shallower one; within a file the last matching pattern wins, `!` re-includes), those above the
 * project up to the repository root, then `.git/info/exclude`. Files are read lazily, once per folder, and a folder
 * the walk has listed without a `.gitignore` costs nothing more. Matching goes through the `ignore` package.
 *
 * Outside a git repository the project's own `.gitignore` files still apply: a project unpacked from an archive
 * means the same thing it did in its repository.
 */
export class GitignoreRules {
  /** Project-relative folder (`''` = root) → its own patterns, or null when it has none. */
  private readonly own = new Map<string, Ignore | null>();
  /** Project-relative folder → every level that applies beneath it, deepest first. */
  private readonly chains = new Map<string, readonly RuleLevel[]>();
  private readonly outer: readonly RuleLevel[];

  constructor(private readonly projectRoot: string) {
    this.outer = outerLevels(projectRoot);
  }

  /** Tells the rules what a folder holds, so a folder without a `.gitignore` is never probed on disk. */
  noteListing(folder: string, names: readonly string[]): void {
    const key = folderKey(folder);
    if (!this.own.has(key) && !names.includes(GITIGNORE_FILE)) this.own.set(key, null);
  }

  /** True when git would ignore this project-relative path (`isFolder` for folders, which `dir/` patterns need). */
  ignores(relative: string, isFolder: boolean): boolean {
    const slash = relative.lastIndexOf('/');
    const folder = slash === -1 ? '' : relative.slice(0, slash);
    for (const level of this.chain(folder)) {
      const result = level.rules.test(level.local(relative) + (isFolder ? '/' : ''));
      if (result.ignored) return true;
      if (result.unignored) return false;
    }
    return false;
  }

  private chain(folder: string): readonly RuleLevel[] {
    const cached = this.chains.get(folder);
    if (cached) return cached;
    const parent = folder === '' ? undefined : folder.includes('/') ? folder.slice(0, folder.lastIndexOf('/')) : '';
    const above = parent === undefined ? this.outer : this.chain(parent);
    const rules = this.rulesOf(folder);
    const strip = folder === '' ? 0 : folder.length + 1;
    const chain = rules ? [{ local: (relative: string) => relative.slice(strip), rules }, ...above] : above;
    this.chains.set(folder, chain);
    return chain;
  }

  private rulesOf(folder: string): Ignore | null {
    const known = this.own.get(folder);
    if (known !== undefined) return known;
    const rules = readRules(path.join(this.projectRoot, folder, GITIGNORE_FILE));
    this.own.set(folder, rules);
    return rules;
  }
}

function folderKey(folder: string): string {
  return folder === '.' ? '' : folder;
}

const CASE_INSENSITIVE = process.platform === 'darwin' || process.platform === 'win32';

function readRules(file: string): Ignore | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null; // none, or unreadable: git skips it too
  }
  // Case as git reads it by default on the platform (core.ignorecase: true on macOS and Windows, false elsewhere).
  return ignore({ allowRelativePaths: true, ignoreCase: CASE_INSENSITIVE }).add(text);
}

/**
 * Levels above the project: `.gitignore` files from the project's parent up to the repository root, then the
 * repository's `info/exclude`. A path reads from there with the way down to the project in front.
 */
function outerLevels(projectRoot: string): RuleLevel[] {
  const repository = findRepository(projectRoot);
  if (!repository) return [];
  const levels: RuleLevel[] = [];
  let folder = path.dirname(projectRoot);
  const down = (from: string): RuleLevel['local'] => {
    const way = path.relative(from, projectRoot).split(path.sep).join('/');
    return way === '' ? (relative) => relative : (relative) => `${way}/${relative}`;
  };
  if (projectRoot !== repository.root) {
    for (;;) {
      const rules = readRules(path.join(folder, GITIGNORE_FILE));
      if (rules) levels.push({ local: down(folder), rules });
      if (folder === repository.root || path.dirname(folder) === folder) break;
      folder = path.dirname(folder);
    }
  }
  const exclude = repository.gitDir ? readRules(path.join(repository.gitDir, 'info', 'exclude')) : null;
  if (exclude) levels.push({ local: down(repository.root), rules: exclude });
  return levels;
}

/** The repository holding the project: its work-tree root and git folder (a `.git` file points at it in worktrees). */
function findRepository(projectRoot: string): { root: string; gitDir: string | undefined } | undefined {
  for (let folder = projectRoot; ; folder = path.dirname(folder)) {
    const dotGit = path.join(folder, '.git');
    try {
      const stats = lstatSync(dotGit);
      if (stats.isDirectory()) return { root: folder, gitDir: dotGit };
      if (stats.isFile()) {
        const pointer = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
        const gitDir = pointer ? path.resolve(folder, pointer) : undefined;
        // A linked worktree's info/exclude lives in the common git folder.
        const common = gitDir ? readCommonDir(gitDir) : undefined;
        return { root: folder, gitDir: common ?? gitDir };
      }
    } catch {
      // no .git here
    }
    if (path.dirname(folder) === folder) return undefined;
  }
}

function readCommonDir(gitDir: string): string | undefined {
  try {
    return path.resolve(gitDir, readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim());
  } catch {
    return undefined;
  }
}
