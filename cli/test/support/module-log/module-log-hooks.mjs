// Module customisation hooks for module-log.cjs: logs each file an `import` resolves to.
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (resolved.url.startsWith('file:')) appendFileSync(process.env.MODULE_LOG, `${resolved.url}\n`);
  return resolved;
}
