import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Opens the page in the default browser without putting the token on a command line (another user could read
 * it from the process list): the browser is handed an owner-only file that redirects to the URL, as Jupyter
 * does. Returns a cleanup that removes the file.
 */
export function openInBrowser(url: string, warn: (message: string) => void): () => void {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'packer-studio-'));
  const file = path.join(folder, 'open.html');
  const escaped = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  writeFileSync(
    file,
    `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${escaped}"><a href="${escaped}">Packer Studio</a>\n`,
    { mode: 0o600 },
  );
  const target = `file://${file}`;
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [target]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', target]]
        : ['xdg-open', [target]];
  const child = spawn(command, args, { detached: true, stdio: 'ignore' });
  child.once('error', (error) =>
    warn(`Could not open a browser (${command}: ${error.message}); open the URL above yourself.`),
  );
  child.unref();
  return () => rmSync(folder, { recursive: true, force: true });
}
