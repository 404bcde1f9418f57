/**
 * Ignore globs compiled once into anchored RegExps, shared by both backends so they agree on what is hidden:
 * chokidar 5 takes only predicates, and @parcel/watcher takes a RegExp natively (it runs it with std::regex,
 * so the source sticks to syntax ECMAScript and std::regex share: no lookbehind, no flags).
 *
 * Semantics follow picomatch with `dot: true`: `*` and `?` never cross `/`, `**` as a whole segment spans zero
 * or more folders, `[...]` and `{a,b}` as usual. A match also covers everything beneath the matched path, since
 * neither backend descends into an ignored folder.
 */
export interface IgnoreMatcher {
  /** The compiled patterns for root-relative posix paths, or undefined when nothing is ignored. */
  readonly regex: RegExp | undefined;
  /** True when the root-relative posix path, or one of its ancestors, is ignored. The root itself never is. */
  matches(relativePath: string): boolean;
  /**
   * The same patterns for paths relative to a folder inside the root (given root-relative), for a watcher
   * rooted at that folder: `regexBeneath('a/b').test(q)` equals `regex.test('a/b/' + q)`.
   */
  regexBeneath(relativeFolder: string): RegExp | undefined;
}

export function createIgnoreMatcher(globs: readonly string[]): IgnoreMatcher {
  const patterns = globs
    .map(normalizeGlob)
    .filter((glob) => glob !== '')
    .flatMap(expandBraces)
    .map(toSegments);
  const regex = compile(patterns);
  return {
    regex,
    matches: (relativePath) => relativePath !== '' && regex !== undefined && regex.test(relativePath),
    regexBeneath: (relativeFolder) => {
      const folder = relativeFolder.split('/').filter((segment) => segment !== '');
      return compile(patterns.flatMap((segments) => remaindersAfter(segments, folder)));
    },
  };
}

function compile(patterns: readonly string[][]): RegExp | undefined {
  if (patterns.length === 0) return undefined;
  const alternatives = [...new Set(patterns.map(segmentsToRegexSource))];
  return new RegExp(`^(?:${alternatives.join('|')})(?:/[\\s\\S]*)?$`);
}

function normalizeGlob(glob: string): string {
  if (glob.startsWith('!')) {
    throw new TypeError(`Expected ignore globs without negation, got \`${glob}\`: list only the paths to ignore`);
  }
  return glob.replace(/^(?:\.\/|\/)+/, '').replace(/\/+$/, '');
}

/** `a/{b,c/d}` → `a/b`, `a/c/d`; nested braces expand from the inside out. A lone `{x}` stays literal. */
function expandBraces(glob: string): string[] {
  const close = glob.indexOf('}');
  const open = close === -1 ? -1 : glob.lastIndexOf('{', close);
  if (open === -1 || glob[open - 1] === '\\') return [glob];
  const options = glob.slice(open + 1, close).split(',');
  if (options.length < 2) return [glob];
  const head = glob.slice(0, open);
  const tail = glob.slice(close + 1);
  return options.flatMap((option) => expandBraces(head + option + tail));
}

function toSegments(glob: string): string[] {
  // Consecutive `**` segments mean the same as one.
  return glob.split('/').filter((segment, i, all) => !(segment === '**' && all[i - 1] === '**'));
}

/**
 * The patterns `q` must match for `folder/q` to match `segments`. A pattern that already matches the folder
 * or an ancestor leaves `**`: everything beneath is ignored.
 */
function remaindersAfter(segments: readonly string[], folder: readonly string[]): string[][] {
  if (folder.length === 0) return [segments.length === 0 ? ['**'] : [...segments]];
  const [head, ...rest] = segments;
  const [first, ...deeper] = folder as [string, ...string[]];
  if (head === undefined) return [['**']];
  if (head === '**') return [...remaindersAfter(rest, folder), ...remaindersAfter(segments, deeper)];
  return new RegExp(`^${segmentToRegexSource(head)}$`).test(first) ? remaindersAfter(rest, deeper) : [];
}

function segmentsToRegexSource(segments: readonly string[]): string {
  if (segments.length === 1 && segments[0] === '**') return '[\\s\\S]+';
  let source = '';
  segments.forEach((segment, i) => {
    if (segment === '**') {
      source += i === 0 ? '(?:[^/]+/)*' : '(?:/[^/]+)*';
      return;
    }
    const afterLeadingGlobstar = i === 1 && segments[0] === '**';
    source += (i === 0 || afterLeadingGlobstar ? '' : '/') + segmentToRegexSource(segment);
  });
  return source;
}

function segmentToRegexSource(segment: string): string {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i] as string;
    const classEnd = char === '[' ? segment.indexOf(']', i + 2) : -1;
    if (char === '\\' && i + 1 < segment.length) {
      source += escapeRegex(segment[++i] as string);
    } else if (char === '*') {
      while (segment[i + 1] === '*') i++;
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else if (classEnd !== -1) {
      let body = segment.slice(i + 1, classEnd);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^/' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = classEnd;
    } else {
      source += escapeRegex(char);
    }
  }
  return source;
}

function escapeRegex(char: string): string {
  return /[.*+?^${}()|[\]\\]/.test(char) ? `\\${char}` : char;
}
