// Preloaded into a `packer` child process (NODE_OPTIONS=--import …) with MODULE_LOG=<file>: appends the URL of
// every file the process loads, ES modules as they are resolved (module-log-hooks.mjs) and CommonJS ones at exit.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

register('./module-log-hooks.mjs', import.meta.url);
// Every require() shares one cache: what it holds at exit is every CommonJS file loaded.
const commonJs = createRequire(import.meta.url).cache;
process.on('exit', () => {
  appendFileSync(
    process.env.MODULE_LOG,
    Object.keys(commonJs)
      .map((file) => `${pathToFileURL(file).href}\n`)
      .join(''),
  );
});
