import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { minifyJson } from './processors/json-minify.js';

describe('minifyJson', () => {
  it('drops whitespace between tokens and copies every token verbatim', () => {
    const text =
      '{\n  "a" : [ 1.50, -0, 1e400, 12345678901234567890 ],\r\n  "s": "x \\u00e9\\n y",\t"t": true, "n": null, "o": {} , "e": [ ] }\n';
    expect(minifyJson(text)).toEqual({
      ok: true,
      output: '{"a":[1.50,-0,1e400,12345678901234567890],"s":"x \\u00e9\\n y","t":true,"n":null,"o":{},"e":[]}',
    });
  });

  it('reports the line and column of the first syntax error', () => {
    const cases: [string, number, number][] = [
      ['{\n  "a": 1,\n  "b": }', 3, 8],
      ['[1, 2,]', 1, 7],
      ['{"a" 1}', 1, 6],
      ['[01]', 1, 3],
      ['{"a": tru}', 1, 7],
      ['"unterminated', 1, 14],
      ['{"a":1} x', 1, 9],
      ['', 1, 1],
      ['[\r\n1,\r\n"\u0001"]', 3, 2],
      ['{"a": "bad \\q escape"}', 1, 12],
      ['{"a": "\\u12G4"}', 1, 8],
    ];
    for (const [text, line, column] of cases) {
      const result = minifyJson(text);
      expect(result.ok, text).toBe(false);
      if (!result.ok) expect([result.error.line, result.error.column], text).toEqual([line, column]);
    }
  });

  it('handles nesting far deeper than the call stack allows', () => {
    const depth = 200_000;
    const text = '['.repeat(depth) + ']'.repeat(depth);
    expect(minifyJson(text)).toEqual({ ok: true, output: text });
  });

  it('agrees with JSON.stringify on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 4 }), (value, indent) => {
        const pretty = JSON.stringify(value, null, indent);
        const result = minifyJson(pretty);
        expect(result).toEqual({ ok: true, output: JSON.stringify(value) });
      }),
      { numRuns: 300 },
    );
  });

  it('rejects exactly what JSON.parse rejects', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom(
            '{',
            '}',
            '[',
            ']',
            ',',
            ':',
            '"',
            '1',
            '-',
            '.',
            'e',
            't',
            'r',
            'u',
            'e',
            ' ',
            '\\',
            'n',
          ),
        }),
        (text) => {
          let parses = true;
          try {
            JSON.parse(text);
          } catch {
            parses = false;
          }
          expect(minifyJson(text).ok).toBe(parses);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
