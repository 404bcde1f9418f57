import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeName, escapePath, escapeRawName, unsupportedNameReason } from './supported-name.js';

describe('unsupportedNameReason', () => {
  it.each([
    ['assets/a\\b.txt', /backslash/],
    ['assets/bell\x07.txt', /U\+0007/],
    ['assets/tab\t.txt', /U\+0009/],
    ['assets/del\x7f.txt', /U\+007F/],
    ['assets/nel\u0085.txt', /U\+0085/],
    ['assets/lone\ud800.txt', /surrogate/],
    ['assets/lone\udc00.txt', /surrogate/],
  ])('%j is refused (%s)', (name, reason) => {
    expect(unsupportedNameReason(name)).toMatch(reason);
  });

  it.each([
    'assets/hero.png',
    'assets/ünïcödé/名前.png',
    'assets/emoji-😀.png',
    'assets/replacement-\uFFFD.txt',
    'assets/nbsp\u00a0.txt',
    'a b/c:d.txt',
  ])('%j is accepted', (name) => {
    expect(unsupportedNameReason(name)).toBeUndefined();
  });
});

describe('escapePath', () => {
  it('leaves supported paths alone and always puts a backslash in an unsupported one', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 16 }), (text) => {
        const escaped = escapePath(text);
        if (unsupportedNameReason(text) === undefined) expect(escaped).toBe(text);
        else expect(escaped).toContain('\\');
        expect(unsupportedNameReason(escaped.replace(/\\/g, '/'))).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('is injective, so two different names never share a diagnostic path', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 }), (a, b) => {
        if (a !== b) expect(escapePath(a)).not.toBe(escapePath(b));
      }),
      { numRuns: 500 },
    );
    expect(escapePath('a\\x07')).not.toBe(escapePath('a\x07'));
  });
});

describe('raw names', () => {
  it('decodes valid UTF-8 and refuses everything Node would decode lossily', () => {
    expect(decodeName(Buffer.from('名前-😀.png'))).toBe('名前-😀.png');
    expect(decodeName(Buffer.from('a\uFFFD', 'utf8'))).toBe('a\uFFFD');
    for (const bytes of [
      [0xff],
      [0x66, 0xe9],
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
    ]) {
      expect(decodeName(Buffer.from(bytes))).toBeUndefined();
    }
  });

  it('agrees with a strict decoder on arbitrary bytes', () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (bytes) => {
        let expected: string | undefined;
        try {
          expected = strict.decode(bytes);
        } catch {
          expected = undefined;
        }
        expect(decodeName(bytes)).toBe(expected);
        if (expected === undefined) expect(escapeRawName(bytes)).toMatch(/\\x[0-9a-f]{2}/);
        else expect(escapeRawName(bytes)).toBe(escapePath(expected));
      }),
      { numRuns: 3000 },
    );
  });

  it('escapes invalid bytes as \\xHH and keeps the valid text around them', () => {
    expect(escapeRawName(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74]))).toBe('caf\\xe9.txt');
    expect(escapeRawName(Buffer.concat([Buffer.from('ü'), Buffer.from([0xff]), Buffer.from('\\')]))).toBe('ü\\xff\\\\');
  });
});
