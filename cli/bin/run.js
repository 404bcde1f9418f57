#!/usr/bin/env node
// The `packer` binary: compiled JavaScript and an explicit command table. `--version` and a plain `status`
// take a lean path without oclif (see src/fast-path.ts); everything else goes through oclif.
const { runFastPath } = await import('../dist/fast-path.js');
if (!(await runFastPath(process.argv.slice(2)))) {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
