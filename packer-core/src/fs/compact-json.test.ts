import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { putCompactJson } from './compact-json.js';

const written = (value: unknown): { text: string; pieces: number } => {
  const pieces: string[] = [];
  putCompactJson((piece) => pieces.push(piece), value);
  return { text: pieces.join(''), pieces: pieces.length };
};

describe('putCompactJson', () => {
  it('writes what JSON.stringify(value) writes, for any JSON value, large arrays included', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(written(value).text).toBe(JSON.stringify(value));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string(),
          fc.oneof(
            fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 60, maxLength: 80 }),
            fc.record({ inner: fc.array(fc.integer(), { minLength: 65, maxLength: 70 }), other: fc.jsonValue() }),
            fc.jsonValue(),
            fc.constant(undefined),
          ),
        ),
        (value) => {
          expect(written(value).text).toBe(JSON.stringify(value));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('writes what JSON leaves out or changes (undefined, functions, holes, toJSON with its key, boxed values) the same way', () => {
    const many = <T>(item: T): T[] => Array.from({ length: 70 }, () => item);
    // eslint-disable-next-line no-sparse-arrays
    const holes = [, 1, , 2, ...many(3)];
    const odd = {
      a: undefined,
      b: () => 1,
      list: [undefined, () => 1, new Date(0), ...many({ x: undefined, y: 1 })],
      dated: [...many(1), { toJSON: (key: string) => `at ${key}` }],
      named: { toJSON: (key: string) => `key ${key}` },
      gone: { toJSON: () => undefined },
      boxed: Object(5) as unknown,
      holes,
      nested: { deeper: [{ list: many('é\n') }] },
      empty: {},
    };
    expect(written(odd).text).toBe(JSON.stringify(odd));
    expect(written([]).text).toBe('[]');
    expect(written(undefined).text).toBe('null');
  });

  it('hands a journal of 100k added entries over one entry at a time, never as one string', () => {
    const added = Array.from({ length: 100_000 }, (_, index) => ({ id: `a${index}`, path: `assets/f${index}.png` }));
    const journal = { version: 2, registry: [{ file: 'packer.registry.json', added, removed: [] }] };
    const pieces: string[] = [];
    putCompactJson((piece) => pieces.push(piece), journal);
    expect(pieces.join('')).toBe(JSON.stringify(journal));
    expect(pieces.reduce((longest, piece) => Math.max(longest, piece.length), 0)).toBeLessThan(100);
  });
});
