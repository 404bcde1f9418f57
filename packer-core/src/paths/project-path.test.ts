import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PackerError } from '../contract/errors.js';
import { assetRootOf, isSameOrInside, normalizeProjectPath } from './project-path.js';

const ROOT = '/tmp/packer-root/game';

/** The code a call fails with, or the path it returns. */
function outcome(input: string, root = ROOT): { ok: string } | { code: string } {
  try {
    return { ok: normalizeProjectPath(input, root) };
  } catch (error) {
    if (!(error instanceof PackerError)) throw error;
    return { code: error.code };
  }
}

// Segments chosen to hit every rule: dots, empty segments, backslashes, drive letters, look-alikes of `..`.
const segmentArb = fc.oneof(
  fc.constantFrom(
    'a',
    'b',
    'assets',
    '..',
    '.',
    '',
    '...',
    '..a',
    'a..',
    '.hidden',
    'C:',
    'x y',
    'ü',
    'a\\b',
    '\\',
    'game',
    'packer-root',
  ),
  fc.stringMatching(/^[a-z0-9._-]{1,6}$/),
);
const relativeArb = fc
  .array(segmentArb, { minLength: 1, maxLength: 7 })
  .chain((segments) =>
    fc
      .array(fc.constantFrom('/', '\\', '//'), { minLength: segments.length - 1, maxLength: segments.length - 1 })
      .map((separators) =>
        segments.map((segment, index) => (index === 0 ? segment : separators[index - 1] + segment)).join(''),
      ),
  );
const inputArb = fc.oneof(
  relativeArb,
  relativeArb.map((rest) => `./${rest}`),
  relativeArb.map((rest) => `${rest}/`),
  relativeArb.map((rest) => `/${rest}`),
  relativeArb.map((rest) => `${ROOT}/${rest}`),
  relativeArb.map((rest) => `${ROOT}/../${rest}`),
  relativeArb.map((rest) => `C:\\${rest}`),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** An independent model: split on either separator, drop empty and `.` segments, resolve `..` on a stack. */
function model(relativeInput: string): { ok: string } | { code: string } {
  // A leading separator or drive letter makes a path absolute; these generated ones never lead into the root.
  if (/^([A-Za-z]:)?[\\/]/.test(relativeInput)) return { code: 'PATH_OUTSIDE_PROJECT' };
  const stack: string[] = [];
  for (const segment of relativeInput.split(/[\\/]/)) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (stack.length === 0) return { code: 'PATH_OUTSIDE_PROJECT' };
      stack.pop();
    } else {
      stack.push(segment);
    }
  }
  // A first folder like "C:" would read as a drive once normalised: refused rather than stored.
  if (stack.length === 0 || (stack.length > 1 && /^[A-Za-z]:$/.test(stack[0]!))) return { code: 'INVALID_PATH' };
  return { ok: stack.join('/') };
}

describe('normalizeProjectPath', () => {
  it.each([
    ['a//b/./c', 'a/b/c'],
    ['./assets/hero.png', 'assets/hero.png'],
    ['assets/ui/', 'assets/ui'],
    ['assets\\ui\\button.png', 'assets/ui/button.png'],
    ['assets/ui/../hero.png', 'assets/hero.png'],
    ['assets/..a/b..', 'assets/..a/b..'],
    [`${ROOT}/assets//x/./y`, 'assets/x/y'],
    [`${ROOT}/assets/../assets/x`, 'assets/x'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeProjectPath(input, ROOT)).toBe(expected);
  });

  it.each([
    ['../x', 'PATH_OUTSIDE_PROJECT'],
    ['a/../../x', 'PATH_OUTSIDE_PROJECT'],
    ['..', 'PATH_OUTSIDE_PROJECT'],
    ['/etc/passwd', 'PATH_OUTSIDE_PROJECT'],
    // A sibling folder whose name starts with the root's name is still outside.
    [`${ROOT}-other/x`, 'PATH_OUTSIDE_PROJECT'],
    [`${ROOT}/../x`, 'PATH_OUTSIDE_PROJECT'],
    ['C:\\Users\\me\\x.png', 'PATH_OUTSIDE_PROJECT'],
    ['', 'INVALID_PATH'],
    ['.', 'INVALID_PATH'],
    ['./', 'INVALID_PATH'],
    ['a/..', 'INVALID_PATH'],
    [ROOT, 'INVALID_PATH'],
    ['assets/a\0b.png', 'INVALID_PATH'],
    ['\0', 'INVALID_PATH'],
  ])('%j fails with %s', (input, code) => {
    expect(outcome(input)).toEqual({ code });
  });

  it('errors name the input and carry it in data.path', () => {
    const error = (() => {
      try {
        normalizeProjectPath('../secret.txt', ROOT);
      } catch (caught) {
        return caught as PackerError;
      }
      throw new Error('expected a throw');
    })();
    expect(error.message).toContain('"../secret.txt"');
    expect(error.data.path).toBe('../secret.txt');
  });

  it('returns only clean relative paths, and is idempotent', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = outcome(input);
        if ('code' in result) {
          expect(['INVALID_PATH', 'PATH_OUTSIDE_PROJECT']).toContain(result.code);
          return;
        }
        const normalized = result.ok;
        expect(normalized).not.toBe('');
        expect(normalized).not.toMatch(/\\/);
        expect(normalized.startsWith('/')).toBe(false);
        expect(normalized.endsWith('/')).toBe(false);
        const segments = normalized.split('/');
        expect(segments).not.toContain('..');
        expect(segments).not.toContain('.');
        expect(segments).not.toContain('');
        expect(outcome(normalized)).toEqual({ ok: normalized });
        // The same path given absolute, inside the root, normalises to the same thing.
        expect(outcome(`${ROOT}/${normalized}`)).toEqual({ ok: normalized });
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with a segment-stack model on every relative path', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          relativeArb,
          relativeArb.map((rest) => `./${rest}`),
          relativeArb.map((rest) => `${rest}/`),
        ),
        (input) => {
          expect(outcome(input)).toEqual(model(input));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('rejects every input containing a NUL byte with INVALID_PATH', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (before, after) => {
        expect(outcome(`${before}\0${after}`)).toEqual({ code: 'INVALID_PATH' });
        expect(outcome(`${ROOT}/${before}\0${after}`)).toEqual({ code: 'INVALID_PATH' });
      }),
    );
  });

  it('rejects every path that starts by leaving the root', () => {
    fc.assert(
      fc.property(relativeArb, (rest) => {
        const result = outcome(`../${rest}`);
        expect(result).toEqual({ code: 'PATH_OUTSIDE_PROJECT' });
      }),
    );
  });

  it('does not depend on the working directory', () => {
    const here = process.cwd();
    // With the working directory at the project root, relative-looking inputs must give the same answers.
    for (const input of ['C:/x.png', 'C:\\x.png', 'assets/x.png', '../x']) {
      const elsewhere = outcome(input);
      const atRoot = outcome(input, here);
      expect(atRoot).toEqual(elsewhere);
    }
  });
});

describe('isSameOrInside / assetRootOf', () => {
  it('compares whole segments, not string prefixes', () => {
    expect(isSameOrInside('assets/ui/x.png', 'assets/ui')).toBe(true);
    expect(isSameOrInside('assets/ui', 'assets/ui')).toBe(true);
    expect(isSameOrInside('assets/uix/x.png', 'assets/ui')).toBe(false);
    expect(assetRootOf('assets/x.png', ['src', 'assets'])).toBe('assets');
    expect(assetRootOf('assets', ['assets'])).toBeUndefined();
    expect(assetRootOf('assets2/x.png', ['assets'])).toBeUndefined();
  });
});
