import { readFileSync } from 'node:fs';
import type { DaemonClient } from '@packer/client';

/**
 * `packer --version` and a plain `packer status` without loading oclif: its import alone is most of a status
 * round trip (measured ~150 ms of module loading against a ~1 ms daemon answer). Same code as the oclif
 * command; anything unusual (other flags, any error) returns false and oclif runs the command instead, with
 * its parsing, help and error formatting.
 */
export async function runFastPath(argv: readonly string[]): Promise<boolean> {
  if (argv.length === 1 && argv[0] === '--version') {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      name: string;
      version: string;
    };
    process.stdout.write(`${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`);
    return true;
  }
  const flags = argv[0] === 'status' ? parseStatusFlags(argv.slice(1)) : undefined;
  if (!flags) return false;
  let client: DaemonClient | undefined;
  try {
    const [{ findProjectRoot, ProjectClient }, { runsInProcess }, { collectStatus, renderStatus }] = await Promise.all([
      import('@packer/client'),
      import('./base/run-mode.js'),
      import('./status/status-report.js'),
    ]);
    client = await ProjectClient.connect(findProjectRoot(flags.project ?? process.cwd()), {
      client: 'cli:status',
      inProcess: runsInProcess(flags.daemon),
      reconnect: false,
    });
    if (client.usedRunningDaemon) return false; // oclif prints the warning that goes with it
    const result = await collectStatus(client);
    process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : `${renderStatus(result)}\n`);
    return true;
  } catch {
    return false;
  } finally {
    await client?.close().catch(() => undefined);
  }
}

function parseStatusFlags(args: readonly string[]): { json: boolean; project?: string; daemon?: boolean } | undefined {
  const flags: { json: boolean; project?: string; daemon?: boolean } = { json: false };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--json') flags.json = true;
    else if (arg === '--daemon') flags.daemon = true;
    else if (arg === '--no-daemon') flags.daemon = false;
    else if (
      (arg === '-C' || arg === '--project') &&
      args[index + 1] !== undefined &&
      !args[index + 1]!.startsWith('-')
    )
      flags.project = args[++index]!;
    else if (arg.startsWith('--project=')) flags.project = arg.slice('--project='.length);
    else return undefined;
  }
  // JSON on a terminal is colourised by oclif; keep that path for people and the fast one for scripts.
  if (flags.json && process.stdout.isTTY) return undefined;
  return flags;
}
