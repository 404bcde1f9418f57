import { describe, expect, it } from 'vitest';
import { ActionResult, decodeActionResult, encodeActionResult } from './action-result.js';

const DIGEST = 'ab'.repeat(32);
const valid = { format: 'packer-action-result', version: 1, output: { type: 'blob', digest: DIGEST, size: 12 } };

// Values a server (or an attacker in front of one) could hand back, each as the JSON text it would send.
const corpus: string[] = [
  JSON.stringify({ ...valid, metadata: {} }),
  JSON.stringify({ ...valid, metadata: { format: 'png', width: 2, height: 2, premultiplied: false } }),
  JSON.stringify({ ...valid, output: { type: 'passthrough', digest: DIGEST, size: 0 }, metadata: {} }),
  JSON.stringify({ ...valid, output: { ...valid.output, size: Number.MAX_SAFE_INTEGER }, metadata: {} }),
  JSON.stringify({ ...valid, output: { ...valid.output, size: Number.MAX_SAFE_INTEGER + 2 }, metadata: {} }),
  JSON.stringify({ ...valid, output: { ...valid.output, size: -1 }, metadata: {} }),
  JSON.stringify({ ...valid, output: { ...valid.output, size: 1.5 }, metadata: {} }),
  JSON.stringify({ ...valid, output: { ...valid.output, size: '12' }, metadata: {} }),
  JSON.stringify({ ...valid, output: { ...valid.output, digest: DIGEST.toUpperCase() }, metadata: {} }),
  JSON.stringify({ ...valid, output: { ...valid.output, digest: DIGEST.slice(1) }, metadata: {} }),
  JSON.stringify({ ...valid, output: { ...valid.output, digest: `${DIGEST}\n` }, metadata: {} }),
  JSON.stringify({ ...valid, output: { ...valid.output, type: 'tree' }, metadata: {} }),
  JSON.stringify({ ...valid, output: { ...valid.output, extra: 1 }, metadata: {} }),
  JSON.stringify({ ...valid, output: [DIGEST], metadata: {} }),
  JSON.stringify({ ...valid, output: null, metadata: {} }),
  JSON.stringify({ ...valid, metadata: {}, extra: true }),
  JSON.stringify({ ...valid, format: 'bazel', metadata: {} }),
  JSON.stringify({ ...valid, version: 2, metadata: {} }),
  JSON.stringify({ ...valid, version: '1', metadata: {} }),
  JSON.stringify(valid),
  JSON.stringify({ ...valid, metadata: null }),
  JSON.stringify({ ...valid, metadata: [] }),
  JSON.stringify({ ...valid, metadata: { nested: { a: 1 } } }),
  JSON.stringify({ ...valid, metadata: { list: [1] } }),
  JSON.stringify({ ...valid, metadata: { nothing: null } }),
  `{"format":"packer-action-result","version":1,"output":{"type":"blob","digest":"${DIGEST}","size":1},"metadata":{"w":1e999}}`,
  `{"format":"packer-action-result","version":1,"output":{"type":"blob","digest":"${DIGEST}","size":1e999},"metadata":{}}`,
  `{"__proto__":{"x":1},"format":"packer-action-result","version":1,"output":{"type":"blob","digest":"${DIGEST}","size":1},"metadata":{}}`,
  '[]',
  'null',
  '"packer-action-result"',
  '42',
  '{',
];

describe('decodeActionResult', () => {
  it('accepts exactly what the ActionResult schema accepts, with the same value', () => {
    for (const text of corpus) {
      const decoded = decodeActionResult(Buffer.from(text));
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        expect(decoded, text).toEqual({ ok: false, reason: 'is not JSON' });
        continue;
      }
      const schema = ActionResult.safeParse(json);
      expect(decoded.ok, text).toBe(schema.success);
      if (decoded.ok && schema.success) expect(decoded.value).toEqual(schema.data);
      if (!decoded.ok) expect(decoded.reason, text).toMatch(/^is not a packer action result \(.+: .+\)$/);
    }
  });

  it('refuses a metadata key __proto__ holding an object (zod lets it through; no processor writes one)', () => {
    const text = `{"format":"packer-action-result","version":1,"output":{"type":"blob","digest":"${DIGEST}","size":1},"metadata":{"__proto__":{"a":1}}}`;
    expect(decodeActionResult(Buffer.from(text))).toEqual({
      ok: false,
      reason: 'is not a packer action result (metadata.__proto__: expected a string, a finite number or a boolean)',
    });
  });

  it('reads back what encodeActionResult writes', () => {
    const bytes = encodeActionResult({ type: 'blob', digest: DIGEST, size: 7 }, { format: 'png', width: 3 });
    expect(decodeActionResult(bytes)).toEqual({
      ok: true,
      value: {
        format: 'packer-action-result',
        version: 1,
        output: { type: 'blob', digest: DIGEST, size: 7 },
        metadata: { format: 'png', width: 3 },
      },
    });
  });
});
