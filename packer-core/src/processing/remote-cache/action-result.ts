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

/** The action result in these bytes, or a sentence saying why they are not one. */
export function decodeActionResult(bytes: Buffer): { ok: true; value: ActionResult } | { ok: false; reason: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { ok: false, reason: 'is not JSON' };
  }
  const result = ActionResult.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    return {
      ok: false,
      reason: `is not a packer action result (${issue ? `${issue.path.join('.') || 'value'}: ${issue.message}` : 'bad shape'})`,
    };
  }
  return { ok: true, value: result.data };
}
