/** Lets pending I/O callbacks run (an `await` of a settled promise runs only microtasks). */
export function turnEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
