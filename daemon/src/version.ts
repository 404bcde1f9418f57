import { readFileSync } from 'node:fs';

/** The daemon package's version (read once; works from src under vitest and from dist). */
export const DAEMON_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return '0.0.0';
  }
})();
