import { describe, expect, it } from 'vitest';
import { leftBehindSidecars, sidecarRules } from './sidecar-rules.js';

describe('sidecar templates', () => {
  const rules = sidecarRules({ sidecars: ['{path}.import', '{path}.uid', 'meta/{path}.json', '{path}-{path}.twice'] })!;

  it('maps an owner to its sidecar paths, in template order', () => {
    expect(rules.pathsOf('sprites/hero.png')).toEqual([
      'sprites/hero.png.import',
      'sprites/hero.png.uid',
      'meta/sprites/hero.png.json',
      'sprites/hero.png-sprites/hero.png.twice',
    ]);
  });

  it('maps a file back to the owner it would belong to, and nothing else', () => {
    expect(rules.ownersOf('sprites/hero.png.import')).toEqual(['sprites/hero.png']);
    expect(rules.ownersOf('meta/sprites/hero.png.json')).toEqual(['sprites/hero.png']);
    expect(rules.ownersOf('a-a.twice')).toEqual(['a']);
    expect(rules.ownersOf('a-b.twice')).toEqual([]);
    expect(rules.ownersOf('.import')).toEqual([]);
    expect(rules.ownersOf('folder/.import')).toEqual([]);
    expect(rules.ownersOf('sprites/hero.png')).toEqual([]);
  });

  it('finds sidecars an outside move left behind, not those the engine already made anew', () => {
    const files = new Map([
      ['a.png.import', 1],
      ['a.png.uid', 1],
      ['b.png.uid', 1],
    ]);
    expect(leftBehindSidecars(rules, files, 'a.png', 'b.png')).toEqual([{ from: 'a.png.import', to: 'b.png.import' }]);
  });

  it('is undefined without templates', () => {
    expect(sidecarRules({})).toBeUndefined();
    expect(sidecarRules({ sidecars: [] })).toBeUndefined();
  });
});
