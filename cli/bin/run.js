#!/usr/bin/env node
// The `packer` binary: compiled JavaScript and an explicit command table. `--version` and a plain `status`
// take a lean path without oclif (see src/fast-path.ts); everything else goes through oclif. Global flags may
// come before the command (`packer -C game add …`, see src/global-flags.ts).
const [{ runFastPath }, { commandLine }] = await Promise.all([
  import('../dist/fast-path.js'),
  import('../dist/global-flags.js'),
]);
const argv = commandLine(process.argv.slice(2));
if (!(await runFastPath(argv))) {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url, args: argv });
}
