import { z } from 'zod';
import { EntryMetadata } from '../../contract/build-schema.js';

/** Largest action result the packer reads (they are a few hundred bytes). */
export const MAX_ACTION_RESULT_BYTES = 64 * 1024;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * The value stored at `/ac/<cache key>` (docs/remote-cache.md): JSON, not Bazel's `ActionResult` protobuf. `blob`:
 * the output is the CAS blob `/cas/<digest>` of `size` bytes; `passthrough`: the output is the input file itself
 * (its digest and size), so there is nothing to download.
 */
export const ActionResult = z.strictObject({
  format: z.literal('packer-action-result'),
  version: z.literal(1),
  output: z.strictObject({
    type: z.enum(['blob', 'passthrough']),
    digest: Sha256,
    size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  }),
  metadata: EntryMetadata,
});
export type ActionResult = z.infer<typeof ActionResult>;

export function encodeActionResult(output: ActionResult['output'], metadata: EntryMetadata): Buffer {
  const value: ActionResult = { format: 'packer-action-result', version: 1, output, metadata };
  return Buffer.from(JSON.stringify(value));
}

/**
 * The action result in these bytes, or a sentence saying why they are not one. Checked by hand, to exactly the
 * `ActionResult` schema (action-result.test.ts holds them to the same answers): a build reads one per remote hit,
 * and zod's parse of each cost ~0.1 CPU-s per 7.5k of them, plus its compilation.
 */
export function decodeActionResult(bytes: Buffer): { ok: true; value: ActionResult } | { ok: false; reason: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { ok: false, reason: 'is not JSON' };
  }
  const problem = actionResultProblem(parsed);
  if (problem) return { ok: false, reason: `is not a packer action result (${problem})` };
  return { ok: true, value: parsed as ActionResult };
}

const SHA256 = /^[0-9a-f]{64}$/;
const OUTPUT_TYPES: readonly unknown[] = ['blob', 'passthrough'];

/** Where `value` departs from `ActionResult` ("path: what was expected"), or undefined when it is one. */
export function actionResultProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'value: expected an object';
  const extra = onlyKeys(value, ['format', 'version', 'output', 'metadata']);
  if (extra !== undefined) return `${extra}: unrecognized key`;
  if (value.format !== 'packer-action-result') return 'format: expected "packer-action-result"';
  if (value.version !== 1) return 'version: expected 1';
  const output = value.output;
  if (!isPlainObject(output)) return 'output: expected an object';
  const extraOutput = onlyKeys(output, ['type', 'digest', 'size']);
  if (extraOutput !== undefined) return `output.${extraOutput}: unrecognized key`;
  if (!OUTPUT_TYPES.includes(output.type)) return 'output.type: expected "blob" or "passthrough"';
  if (typeof output.digest !== 'string' || !SHA256.test(output.digest))
    return 'output.digest: expected 64 lowercase hex digits';
  const size = output.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    return 'output.size: expected a non-negative safe integer';
  const metadata = value.metadata;
  if (!isPlainObject(metadata)) return 'metadata: expected an object';
  for (const key of Object.keys(metadata)) {
    const item = metadata[key];
    if (typeof item === 'string' || typeof item === 'boolean') continue;
    if (typeof item === 'number' && Number.isFinite(item)) continue;
    return `metadata.${key}: expected a string, a finite number or a boolean`;
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** The first own key of `value` not in `allowed`, or undefined. */
function onlyKeys(value: Record<string, unknown>, allowed: readonly string[]): string | undefined {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) return key;
  return undefined;
}
