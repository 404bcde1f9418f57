import { readFileSync } from 'node:fs';
import type { DaemonClient } from '@packer/client';
import { pipelinedCalls, pipelinedResults } from '@packer/client/pipelined';
import { PROTOCOL_VERSION } from '@packer/core/contract/runtime';
import { runsInProcess } from './base/run-mode.js';
import { parseLeanArgs } from './lean-args.js';
import type { StatusResult } from './status/status-report.js';

/**
 * `packer --version`, a plain `packer status` and `packer set … --yes` (src/lean-set.ts) without loading oclif:
 * its import alone is most of a status round trip (measured ~150 ms of module loading against a ~1 ms daemon
 * answer). Same code as the oclif command; anything unusual (other flags, any error) returns false and oclif runs
 * the command instead, with its parsing, help and error formatting.
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
  if (argv[0] === 'set') return (await import('./lean-set.js')).runLeanSet(argv.slice(1));
  const flags = argv[0] === 'status' ? parseLeanArgs(argv.slice(1)) : undefined;
  if (!flags) return false;
  const inProcess = runsInProcess(flags.daemon);
  // The requests go out before the rest of the command loads: the daemon's synced read waits for the watcher
  // (~50 ms), and that wait now runs while this process loads what renders the answer.
  const early = inProcess ? undefined : pipelinedStatus(flags.project ?? process.cwd());
  const { collectStatus, renderStatus } = await import('./status/status-report.js');
  const print = (result: StatusResult): void => {
    process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : `${renderStatus(result)}\n`);
  };
  const answered = await early;
  if (answered && answered.hello.protocolVersion === PROTOCOL_VERSION) {
    print(answered.status);
    return true;
  }
  // No running daemon, another protocol, or an error: the full client starts, restarts or reports.
  let client: DaemonClient | undefined;
  try {
    const { findProjectRoot, ProjectClient } = await import('@packer/client');
    client = await ProjectClient.connect(findProjectRoot(flags.project ?? process.cwd()), {
      client: 'cli:status',
      inProcess,
      reconnect: false,
    });
    if (client.usedRunningDaemon) return false; // oclif prints the warning that goes with it
    print(await collectStatus(client));
    return true;
  } catch {
    return false;
  } finally {
    await client?.close().catch(() => undefined);
  }
}

/**
 * The calls of `collectStatus` (hello, a synced summary, health), sent at once to a running daemon; their answers
 * when all succeeded and the daemon was ready, else undefined.
 */
async function pipelinedStatus(
  projectDir: string,
): Promise<{ hello: { protocolVersion: number }; status: StatusResult } | undefined> {
  const results = pipelinedResults(
    await pipelinedCalls(projectDir, [
      { method: 'daemon.hello', params: { client: 'cli:status', protocolVersion: PROTOCOL_VERSION, pid: process.pid } },
      { method: 'snapshot.summary', params: { sync: true } },
      { method: 'daemon.health', params: {} },
    ]),
  );
  if (!results) return undefined;
  const [hello, summary, health] = results as [
    { protocolVersion: number },
    StatusResult['summary'],
    Omit<StatusResult['daemon'], 'inProcess'>,
  ];
  // A daemon still opening answers health at once and the summary once ready: that health is older than the summary.
  if (!health.ready) return undefined;
  return { hello, status: { summary, daemon: { ...health, inProcess: false } } };
}
