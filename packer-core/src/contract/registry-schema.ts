import { z } from 'zod';
import { ASSET_ID_PATTERN } from './runtime-constants.js';

/** Current registry format version. */
export const REGISTRY_VERSION = 1;

/** An asset id: `a_` followed by 26 Crockford base32 characters (a ULID). Opaque; never reused. */
export const AssetId = z.string().regex(ASSET_ID_PATTERN, 'an asset id is "a_" followed by 26 Crockford base32 characters');
export type AssetId = z.infer<typeof AssetId>;

/** A setting value: JSON primitives only, so registries stay diff-friendly. */
export const SettingValue = z.union([z.string(), z.number(), z.boolean()]);
export type SettingValue = z.infer<typeof SettingValue>;

/** One registered asset. */
export const RegistryEntry = z.strictObject({
  /** Stable identity; survives moves and renames. */
  id: AssetId,
  /** Project-relative path with `/` separators. */
  path: z.string().min(1),
  /** Kind name from `packer.json`. */
  kind: z.string().min(1),
  /** Per-asset processor settings. */
  settings: z.record(z.string(), SettingValue),
  /** Free-form labels, sorted and unique. */
  tags: z.array(z.string().min(1)),
});
export type RegistryEntry = z.infer<typeof RegistryEntry>;

/** `packer.registry.json`. */
export const RegistryFile = z.strictObject({
  version: z.literal(REGISTRY_VERSION),
  assets: z.array(RegistryEntry),
});
export type RegistryFile = z.infer<typeof RegistryFile>;

export { isAssetId } from './runtime-constants.js';
