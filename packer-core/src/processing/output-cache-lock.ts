const cacheLocks = new Map<string, Promise<void>>();

/**
 * Waits until nobody else in this process holds the cache in `dir`, then holds it; call the returned function to
 * let the next one in. A build holds it from open to save, so a prune never deletes a segment under a build.
 */
export async function lockOutputCache(dir: string): Promise<() => void> {
  const previous = cacheLocks.get(dir) ?? Promise.resolve();
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const chained = previous.then(() => held);
  cacheLocks.set(dir, chained);
  await previous;
  return () => {
    release();
    if (cacheLocks.get(dir) === chained) cacheLocks.delete(dir);
  };
}
