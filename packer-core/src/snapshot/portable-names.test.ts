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
});
