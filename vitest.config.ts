import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against TypeScript sources; child processes (daemon, CLI bin) run the compiled dist.
    alias: [
      { find: /^@packer\/core$/, replacement: here('./packer-core/src/index.ts') },
      { find: /^@packer\/core\/contract$/, replacement: here('./packer-core/src/contract/index.ts') },
      { find: /^@packer\/core\/contract\/runtime$/, replacement: here('./packer-core/src/contract/runtime.ts') },
      { find: /^@packer\/fixtures$/, replacement: here('./fixtures/src/index.ts') },
      { find: /^@packer\/client$/, replacement: here('./client/src/index.ts') },
      { find: /^@packer\/client\/browser$/, replacement: here('./client/src/browser.ts') },
      { find: /^@packer\/daemon$/, replacement: here('./daemon/src/index.ts') },
      { find: /^@packer\/daemon\/client$/, replacement: here('./daemon/src/client/index.ts') },
      { find: /^@packer\/daemon\/client\/browser$/, replacement: here('./daemon/src/client/browser.ts') },
    ],
  },
  test: {
    include: ['**/src/**/*.test.ts', '**/src/**/*.test.tsx', '**/test/**/*.test.ts', '**/test/**/*.test.tsx'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Both cores of the 2-core CI machines: vitest's default (cores - 1) ran one file at a time, and the suite took
    // 647 s. The tests wait on events and conditions, never on the clock, so sharing the CPU slows them but does
    // not change their outcome: 358 s with two.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // One temp folder per run, checked empty at the end: a test that leaves files behind fails the run.
    globalSetup: ['./test-support/temp-guard.ts'],
  },
});
