import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { putPrettyJson } from './pretty-json.js';

const written = (value: unknown): { text: string; pieces: number } => {
  const pieces: string[] = [];
  putPrettyJson((piece) => pieces.push(piece), value);
  return { text: pieces.join(''), pieces: pieces.length };
};

describe('putPrettyJson', () => {
  it('writes what JSON.stringify(value, null, 2) writes, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(written(value).text).toBe(JSON.stringify(value, null, 2));
      }),
      { numRuns: 300 },
    );
  });

  it('writes objects holding arrays, empty ones and what JSON leaves out the same way too', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string(),
          fc.oneof(fc.array(fc.jsonValue(), { maxLength: 5 }), fc.jsonValue(), fc.constant(undefined)),
        ),
        (value) => {
          expect(written(value).text).toBe(JSON.stringify(value, null, 2));
        },
      ),
      { numRuns: 300 },
    );
    const odd = { a: undefined, b: () => 1, list: [undefined, () => 1, new Date(0), { toJSON: () => 'x' }], c: 'é\n' };
    expect(written(odd).text).toBe(JSON.stringify(odd, null, 2));
    // Holes, toJSON given its key or answering undefined, boxed values: as JSON.stringify has them.
    // eslint-disable-next-line no-sparse-arrays
    const sparse = { holes: [, 1, , 2], plain: [1, , 3] };
    expect(written(sparse).text).toBe(JSON.stringify(sparse, null, 2));
    const keyed = {
      named: { toJSON: (key: string) => `key ${key}` },
      gone: { toJSON: () => undefined },
      list: [{ toJSON: (key: string) => `at ${key}` }],
      boxed: Object(5) as unknown,
    };
    expect(written(keyed).text).toBe(JSON.stringify(keyed, null, 2));
    expect(written({}).text).toBe('{}');
  });

  it('hands a manifest over one entry at a time, never as one string', () => {
    const entries = Array.from({ length: 1000 }, (_, index) => ({ id: `a_${index}`, metadata: { index } }));
    const { text, pieces } = written({ format: 'packer-pack-manifest', entries });
    expect(text).toBe(JSON.stringify({ format: 'packer-pack-manifest', entries }, null, 2));
    expect(pieces).toBeGreaterThan(entries.length);
  });
});
