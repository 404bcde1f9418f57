#!/usr/bin/env node
// The `packer` binary: compiled JavaScript; oclif imports only the command it runs (src/oclif-manifest.ts).
// `--version`, a plain `status` and `set … --yes` take a lean path without oclif (see src/fast-path.ts); the rest goes
// through oclif. Global flags may come before the command (`packer -C game add …`, see src/global-flags.ts).
// A reader that went away (`packer status | head -1`) ends the command as it ends cat or git: quietly, with the status
// of a process killed by SIGPIPE (128 + 13), not with a stack trace. Node ignores SIGPIPE, so the write fails instead.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(141);
    throw error;
  });
}
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
