/**
 * The LRU cap of the output cache from `PACKER_CACHE_MAX_BYTES`, when set to a valid byte count. On its own so
 * cache stats (`cache.stats`) need not load the build (run-build and its ~60 modules).
 */
export function cacheCapFromEnv(): number | undefined {
  const raw = process.env.PACKER_CACHE_MAX_BYTES;
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}
