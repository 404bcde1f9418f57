/**
 * Appends every item of `items` to `target`, in order, and returns `target`.
 *
 * `target.push(...items)` passes each item as an argument on the stack, and V8 refuses past roughly 120,000 of
 * them ("Maximum call stack size exceeded", a RangeError that reaches the client as INTERNAL). Lists that grow with
 * the project (every registered file a derivation touched, every candidate pair of a move search) go through here:
 * a 1,000,000-file `packer add` failed after its commit on exactly that spread.
 */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}
