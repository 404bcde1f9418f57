// Preloaded into a `packer` child process (NODE_OPTIONS=--import …) with MODULE_LOG=<file>: appends the URL of
// every file the process loads, ES modules as they are resolved (module-log-hooks.mjs) and CommonJS ones at exit,
// and an `intl:` line for each kind of Intl use.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

register('./module-log-hooks.mjs', import.meta.url);

// Intl's first use loads ICU data (~30 ms): logged as `intl:<what>` lines, once each.
const intlUsed = new Set();
const logIntl = (what) => {
  if (intlUsed.has(what)) return;
  intlUsed.add(what);
  appendFileSync(process.env.MODULE_LOG, `intl:${what}\n`);
};
for (const [owner, name] of [
  [Number.prototype, 'toLocaleString'],
  [Date.prototype, 'toLocaleString'],
  [Date.prototype, 'toLocaleDateString'],
  [Date.prototype, 'toLocaleTimeString'],
  [String.prototype, 'localeCompare'],
]) {
  const original = owner[name];
  owner[name] = function (...args) {
    logIntl(name);
    return original.apply(this, args);
  };
}
for (const name of ['NumberFormat', 'DateTimeFormat', 'Collator', 'Segmenter', 'PluralRules', 'ListFormat']) {
  const Original = Intl[name];
  Intl[name] = new Proxy(Original, {
    construct(target, args) {
      logIntl(`Intl.${name}`);
      return Reflect.construct(target, args);
    },
    apply(target, self, args) {
      logIntl(`Intl.${name}`);
      return Reflect.apply(target, self, args);
    },
  });
}
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
