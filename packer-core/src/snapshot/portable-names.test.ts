import { describe, expect, it } from 'vitest';
import { collisionKey, nonPortableReason } from './portable-names.js';

describe('portable names', () => {
  it('one collision key for names equal under case or Unicode normalisation; ASCII without capitals is uncopied', () => {
    expect(collisionKey('a/caf\u00e9.png')).toBe(collisionKey('a/cafe\u0301.png'));
    expect(collisionKey('a/CAFE\u0301.png')).toBe(collisionKey('a/caf\u00e9.png'));
    expect(collisionKey('a/Hero.png')).toBe(collisionKey('a/hero.png'));
    expect(collisionKey('a/cafe.png')).not.toBe(collisionKey('a/caf\u00e9.png'));
    const plain = 'assets/sprites/hero-01.png';
    expect(collisionKey(plain)).toBe(plain);
  });

  it.each([
    ['CON.png', /device name/],
    ['sub/nul', /device name/],
    ['lpt9.tar.gz', /device name/],
    ['COM1', /device name/],
    ['a:b.png', /holds :/],
    ['q?.png', /holds \?/],
    ['star*.png', /holds \*/],
    ['x<y>.png', /holds </],
    ['pipe|.png', /holds \|/],
    ['quote".png', /holds "/],
    ['trail space.png ', /ends in a space/],
    ['dot.', /ends in a dot/],
    ['folder./x.png', /ends in a dot/],
  ])('%s is not portable (%s)', (name, reason) => {
    expect(nonPortableReason(`assets/${name}`)).toMatch(reason);
  });

  it.each(['console.png', 'COM10.png', 'com0', 'aux-file.txt', 'con_fig.json', 'a.b.c', '.hidden', 'caf\u00e9.png'])(
    '%s is portable',
    (name) => {
      expect(nonPortableReason(`assets/${name}`)).toBeUndefined();
    },
  );

  it('the whole-path pre-check never hides a name the per-segment rules refuse (every mix of tricky pieces)', () => {
    // The rules, one segment at a time, without the pre-check: what nonPortableReason must agree with.
    const refused = (path: string): boolean =>
      path
        .split('/')
        .some(
          (segment) =>
            /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i.test(segment) ||
            /[<>:"|?*]/.test(segment) ||
            segment.endsWith(' ') ||
            segment.endsWith('.'),
        );
    const pieces = ['con', 'CoM3', 'lpt9', 'nul', 'aux1', 'x', '.', ' ', ':', '?', 'png', 'a b', 'COM10', 'prn.'];
    let checked = 0;
    for (const a of pieces)
      for (const b of pieces)
        for (const c of pieces) {
          for (const path of [`${a}${b}/${c}`, `${a}/${b}.${c}`, `d/${a}.${b}${c}`, `${a}${b}${c}`]) {
            expect(nonPortableReason(path) !== undefined, path).toBe(refused(path));
            checked++;
          }
        }
    expect(checked).toBe(pieces.length ** 3 * 4);
  });
});
