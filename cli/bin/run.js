#!/usr/bin/env node
// The `packer` binary: compiled JavaScript; oclif imports only the command it runs (src/oclif-manifest.ts).
// `--version` and a plain `status` take a lean path without oclif (see src/fast-path.ts); everything else goes
// through oclif. Global flags may come before the command (`packer -C game add …`, see src/global-flags.ts).
const [{ runFastPath }, { commandLine }] = await Promise.all([
  import('../dist/fast-path.js'),
  import('../dist/global-flags.js'),
]);
const argv = commandLine(process.argv.slice(2));
if (!(await runFastPath(argv))) {
  // oclif's execute(), except that a failing command's output is written out before oclif's handle() calls
  // process.exit: a pipe holds 64 KiB, and the rest of a --json answer (check with blockers exits 1) would be lost.
  // oclif imports only the command it runs when its manifest is current (see src/oclif-manifest.ts).
  const [{ flush, handle, run }, { ensureManifest }] = await Promise.all([
    import('@oclif/core'),
    import('../dist/oclif-manifest.js'),
  ]);
  await ensureManifest();
  try {
    await run(argv, import.meta.url);
    await flush();
  } catch (error) {
    await drained(process.stdout);
    await handle(error);
  }
}

/** Resolves once everything written to `stream` has been handed to the OS (or the reader went away). */
function drained(stream) {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('drain', resolve);
    stream.once('error', resolve);
    stream.once('close', resolve);
  });
}
