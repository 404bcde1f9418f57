import { z } from 'zod';
import { ASSET_ID_PATTERN } from './runtime-constants.js';

/**
 * Current registry format version. Format 2 writes one asset per line, sorted by path (see registry-codec.ts);
 * format 1 (pretty-printed, sorted by id) is still read, and rewritten as format 2 on the first write.
 */
export const REGISTRY_VERSION = 2;

/** Every registry format the packer reads. */
export const REGISTRY_VERSIONS = [1, 2] as const;
export type RegistryVersion = (typeof REGISTRY_VERSIONS)[number];

/** An asset id: `a_` followed by 26 Crockford base32 characters (a ULID). Opaque; never reused. */
export const AssetId = z
  .string()
  .regex(ASSET_ID_PATTERN, 'an asset id is "a_" followed by 26 Crockford base32 characters');
export type AssetId = z.infer<typeof AssetId>;

/** A setting value: JSON primitives only, so registries stay diff-friendly. */
export const SettingValue = z.union([z.string(), z.number(), z.boolean()]);
export type SettingValue = z.infer<typeof SettingValue>;

/** Object keys JavaScript treats specially: `__proto__` would be silently dropped on the next write, the others shadow
 * built-ins. */
export const RESERVED_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/**
 * A settings map whose keys may not be reserved names. zod's record skips a `__proto__` key without a word, so
 * the check looks at the raw object before the record sees it.
 */
export function settingsRecord<V extends z.ZodType>(value: V) {
  const record = z.record(z.string(), value);
  return z.preprocess((input: z.input<typeof record>, context) => {
    if (input !== null && typeof input === 'object') {
      for (const key of RESERVED_KEYS) {
        if (Object.prototype.hasOwnProperty.call(input, key)) {
          context.issues.push({
            code: 'custom',
            message: `is a reserved name (${RESERVED_KEYS.join(', ')} cannot be setting keys); rename the setting`,
            path: [key],
            input,
          });
        }
      }
    }
    return input;
  }, record);
}

/** One registered asset. */
export const RegistryEntry = z.strictObject({
  /** Stable identity; survives moves and renames. */
  id: AssetId,
  /** Project-relative path with `/` separators. */
  path: z.string().min(1),
  /** Kind name from `packer.json`. */
  kind: z.string().min(1),
  /** Per-asset processor settings. Keys `__proto__`, `constructor` and `prototype` are refused. */
  settings: settingsRecord(SettingValue),
  /** Free-form labels, sorted and unique. */
  tags: z.array(z.string().min(1)),
});
export type RegistryEntry = z.infer<typeof RegistryEntry>;

/** `packer.registry.json`: the same JSON shape in every format; only the layout of the text differs. */
export const RegistryFile = z.strictObject({
  /** Format version: 1 (read only) or 2 (written). */
  version: z.union([z.literal(1), z.literal(2)]),
  assets: z.array(RegistryEntry),
});
export type RegistryFile = z.infer<typeof RegistryFile>;

export { isAssetId } from './runtime-constants.js';
