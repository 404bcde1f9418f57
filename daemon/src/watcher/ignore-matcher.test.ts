import { describe, expect, it } from 'vitest';
import { createIgnoreMatcher } from './ignore-matcher.js';

describe('createIgnoreMatcher', () => {
  it.each<[string, string[], string[]]>([
    ['**/*.tmp', ['a.tmp', 'x/y/a.tmp', 'x/a.tmp/inside.png', '.hidden.tmp'], ['a.tmpx', 'a.png', 'tmp']],
    ['.packer/**', ['.packer', '.packer/state.json', '.packer/a/b'], ['.packerx', 'a/.packer/state.json']],
    ['build', ['build', 'build/out.pack'], ['a/build', 'builds']],
    ['*.log', ['x.log', '.x.log'], ['a/x.log']],
    ['{a,b}/**/*.png', ['a/x.png', 'b/c/d/x.png'], ['c/x.png', 'a/x.jpg']],
    ['a/**/b', ['a/b', 'a/x/b', 'a/x/y/b/z'], ['b', 'a/xb']],
    ['sprite-[0-9]?.png', ['sprite-1a.png'], ['sprite-a1.png', 'sprite-1.png']],
    ['[!a]*', ['b', 'zz/q'], ['a', 'ab']],
    ['./dist/', ['dist', 'dist/x'], ['a/dist']],
    ['file (1).txt', ['file (1).txt'], ['file 1.txt']],
    ['**', ['anything', 'a/b/c'], []],
  ])('%s', (glob, ignored, kept) => {
    const matcher = createIgnoreMatcher([glob]);
    for (const path of ignored) expect(matcher.matches(path), path).toBe(true);
    for (const path of kept) expect(matcher.matches(path), path).toBe(false);
  });

  it('never ignores the root itself and ignores nothing without globs', () => {
    expect(createIgnoreMatcher(['**']).matches('')).toBe(false);
    const none = createIgnoreMatcher([]);
    expect(none.regex).toBeUndefined();
    expect(none.matches('a')).toBe(false);
  });

  it('compiles to a flag-free RegExp, the only kind @parcel/watcher accepts', () => {
    expect(createIgnoreMatcher(['**/*.tmp']).regex?.flags).toBe('');
  });

  it('rejects negated globs with a message naming the glob', () => {
    expect(() => createIgnoreMatcher(['!keep.png'])).toThrow(/got `!keep\.png`/);
  });

  it('regexBeneath(folder) matches q exactly when the root regex matches folder/q', () => {
    const globs = ['**/*.tmp', '.packer/**', 'a/**/cache', 'a/b/*.log', 'x/y', '**/node_modules/**', '{a,c}/**/*.bak'];
    const matcher = createIgnoreMatcher(globs);
    const folders = ['a', 'a/b', 'a/b/c', 'c/d', 'x', 'q/node_modules/r', 'z'];
    const paths = [
      'f.tmp',
      'f.png',
      'cache',
      'b/cache',
      'b/c/cache',
      'e.log',
      'b/e.log',
      'y',
      'y/z',
      'node_modules/m',
      'w.bak',
      'k/w.bak',
      'c/f.log',
    ];
    for (const folder of folders) {
      const beneath = matcher.regexBeneath(folder);
      for (const relative of paths) {
        const expected = matcher.regex?.test(`${folder}/${relative}`) ?? false;
        expect(beneath?.test(relative) ?? false, `${folder} + ${relative}`).toBe(expected);
      }
    }
  });
});
