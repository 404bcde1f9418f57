import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | undefined;

/**
 * Heap in use after three full collections: what the objects alive at this point retain, for tests that budget
 * memory in bytes (never in time). Exposes V8's gc to this process on first use.
 */
export function settledHeap(): number {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  for (let round = 0; round < 3; round++) gc();
  return process.memoryUsage().heapUsed;
}
