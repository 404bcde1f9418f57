import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  BROWSER_CLIENT_IMPORT,
  checkPackage,
  checkSource,
  CONTRACT_IMPORTS,
  NODE_CLIENT_IMPORT,
  sourceFiles,
  type BoundaryRules,
} from './support/import-boundary.js';
import { checkOutcomes, checkPackageOutcomes } from './support/outcome-boundary.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const adapter: BoundaryRules = {
  packageRoot: path.join(repo, 'studio-adapter'),
  filesystemAllowed: new Set(),
  // The contract and the Node-free client; the Node client (Unix socket, starting the daemon) only where the
  // Node entry opens a project by folder.
  packerImports: new Set([...CONTRACT_IMPORTS, BROWSER_CLIENT_IMPORT]),
  packerImportsByFile: new Map([['src/connect-project.ts', new Set([NODE_CLIENT_IMPORT])]]),
};
const cli: BoundaryRules = {
  packageRoot: path.join(repo, 'cli'),
  packerImports: new Set([...CONTRACT_IMPORTS, NODE_CLIENT_IMPORT]),
  // The packer's own code, run in the CLI's process where no daemon can serve: git runs the registry merge driver
  // on three temp files mid-merge (the daemon may be down or watching a half-merged tree), and the driver's
  // installer writes .gitattributes and git's config before any daemon exists. Both call the core; neither decides.
  packerImportsByFile: new Map([
    ['src/commands/merge-driver.ts', new Set(['@packer/core'])],
    ['src/commands/git/install.ts', new Set(['@packer/core'])],
    // The lean `packer status` and `packer set … --yes` send their requests before the rest loads (the client's
    // Node-built-ins-only entry).
    ['src/fast-path.ts', new Set(['@packer/client/pipelined'])],
    ['src/lean-set.ts', new Set(['@packer/client/pipelined'])],
  ]),
  // Files that touch the disk for their own purposes, never a workspace or registry file:
  filesystemAllowed: new Set([
    // `packer daemon logs` prints the daemon's own log, .packer/daemon.log.
    'src/commands/daemon/logs.ts',
    // `packer --version` on the lean path reads the CLI's own package.json.
    'src/fast-path.ts',
    // `packer studio`: serves the built Studio page, reads the token the daemon writes for local clients
    // (.packer/ws-token), and hands the browser an owner-only redirect file instead of a token on a command line.
    'src/studio/studio-page-server.ts',
    'src/studio/websocket-endpoint.ts',
    'src/studio/open-in-browser.ts',
    // `packer merge-driver`: the one CLI file that reads and writes registry text, because git hands it the three
    // versions as temp files (%O %A %B) and takes the result back in %A; mergeRegistryTexts (core) does the rest.
    'src/commands/merge-driver.ts',
    // The bin keeps oclif's manifest of the CLI's own commands current (cli/oclif.manifest.json, generated).
    'src/oclif-manifest.ts',
  ]),
};

const format = (violations: ReturnType<typeof checkPackage>) =>
  violations.map((item) => `${item.file}:${item.line} [${item.rule}] ${item.detail}`);

describe('the boundary: consumers reach the packer only through its contract and client library', () => {
  it('studio-adapter/src imports nothing of packer-core or the daemon but the contract and the client, and no fs', () => {
    expect(sourceFiles(path.join(adapter.packageRoot, 'src')).length).toBeGreaterThan(5);
    expect(format(checkPackage(path.join(adapter.packageRoot, 'src'), adapter))).toEqual([]);
  });

  it('cli/src likewise; only the allow-listed files touch the filesystem, and none reads packer files', () => {
    expect(sourceFiles(path.join(cli.packageRoot, 'src')).length).toBeGreaterThan(5);
    expect(format(checkPackage(path.join(cli.packageRoot, 'src'), cli))).toEqual([]);
  });

  it('the allow-listed files exist (a stale entry would silently widen the boundary later)', () => {
    const filesOf = (rules: BoundaryRules) =>
      new Set(
        sourceFiles(path.join(rules.packageRoot, 'src')).map((file) =>
          path.relative(rules.packageRoot, file).split(path.sep).join('/'),
        ),
      );
    const cliFiles = filesOf(cli);
    for (const allowed of [...cli.filesystemAllowed, ...(cli.packerImportsByFile?.keys() ?? [])])
      expect(cliFiles.has(allowed), allowed).toBe(true);
    const adapterFiles = filesOf(adapter);
    for (const allowed of adapter.packerImportsByFile?.keys() ?? [])
      expect(adapterFiles.has(allowed), allowed).toBe(true);
  });

  describe('the checker flags what it must (so a green run means something)', () => {
    const file = path.join(adapter.packageRoot, 'src', 'view-models', 'sample.ts');
    const rulesOf = (source: string, rules = adapter) => checkSource(file, source, rules).map((item) => item.rule);
    const forbidden: [string, string][] = [
      ["import { Workspace } from '@packer/core';", 'packer-internals'],
      ["import type { SnapshotState } from '@packer/core';", 'packer-internals'],
      ["export * from '@packer/core';", 'packer-internals'],
      ["import { planMove } from '@packer/core/dist/mutations/plan-move.js';", 'packer-internals'],
      ["import { Plan } from '@packer/core/contract/mutation-schema';", 'packer-internals'],
      ["import { Daemon } from '@packer/daemon';", 'packer-internals'],
      ["import { socketTransport } from '@packer/daemon/dist/rpc/transport.js';", 'packer-internals'],
      // The client library moved out of the daemon; its old entry points are the daemon's, not the client's.
      ["import { DaemonClient } from '@packer/daemon/client';", 'packer-internals'],
      ["import { RpcConnection } from '@packer/daemon/client/browser';", 'packer-internals'],
      // The Node client (sockets, child processes) outside the one file of the Node entry that opens a project.
      ["import { ProjectClient } from '@packer/client';", 'packer-internals'],
      ["import { socketTransport } from '@packer/client/dist/node/socket-transport.js';", 'packer-internals'],
      ["const core = await import('@packer/core');", 'packer-internals'],
      ["type W = import('@packer/core').Workspace;", 'packer-internals'],
      // Split so the repository's own grep-based boundary hook does not mistake this sample for a real import.
      ["import { planMove } from '../../../packer-" + "core/src/mutations/plan-move.js';", 'relative-escape'],
      ["import { Daemon } from '../../../daemon/src/daemon.js';", 'relative-escape'],
      ["import { readFileSync } from 'node:fs';", 'filesystem'],
      ["import fs from 'fs';", 'filesystem'],
      ["const { readFile } = await import('node:fs/promises');", 'filesystem'],
      ["const fs = require('fs');", 'filesystem'],
      ['const name = "core"; await import(`@packer/${name}`);', 'dynamic-import'],
      ["export const registry = 'packer.registry.json';", 'packer-files'],
    ];
    it.each(forbidden)('%s', (source, rule) => {
      expect(rulesOf(source)).toContain(rule);
    });

    it('a file allowed to touch the disk still may not read packer.json or the registry', () => {
      const logs = path.join(cli.packageRoot, 'src', 'commands', 'daemon', 'logs.ts');
      const reads =
        "import { readFileSync } from 'node:fs';\nconst config = readFileSync(`${root}/packer.json`, 'utf8');";
      expect(checkSource(logs, reads, cli).map((item) => item.rule)).toEqual(['packer-files']);
      expect(
        checkSource(logs, "import { readFileSync } from 'node:fs';\nreadFileSync('.packer/daemon.log');", cli),
      ).toEqual([]);
    });

    it('passes the allowed imports, and ignores comments and help text', () => {
      const allowed = [
        "import type { Plan } from '@packer/core/contract';",
        "import { PackerError } from '@packer/core/contract/runtime';",
        "import { DaemonClient, RpcConnection } from '@packer/client/browser';",
        "import { navigatorRows } from './navigator.js';",
        "import { DaemonClient as Base } from '../studio-session.js';",
        "// reads packer.registry.json? no: the packer does\nexport const help = 'Create packer.json';",
      ].join('\n');
      expect(checkSource(file, allowed, adapter)).toEqual([]);
      const connectProject = path.join(adapter.packageRoot, 'src', 'connect-project.ts');
      expect(
        checkSource(connectProject, "import { findProjectRoot, ProjectClient } from '@packer/client';", adapter),
      ).toEqual([]);
      expect(
        checkSource(
          path.join(cli.packageRoot, 'src', 'base', 'sample.ts'),
          "import { ProjectClient } from '@packer/client';",
          cli,
        ),
      ).toEqual([]);
    });
  });

  describe('consumers never speak for the packer: no packer error codes, no outcomes of their own', () => {
    const formatOutcomes = (violations: ReturnType<typeof checkOutcomes>) =>
      violations.map((item) => `${item.file}:${item.line} [${item.rule}] ${item.detail}`);

    it("studio-adapter/src creates none of the packer's errors or outcomes", () => {
      expect(formatOutcomes(checkPackageOutcomes(path.join(adapter.packageRoot, 'src'), adapter.packageRoot))).toEqual(
        [],
      );
    });

    it("cli/src creates none of the packer's errors or outcomes", () => {
      expect(formatOutcomes(checkPackageOutcomes(path.join(cli.packageRoot, 'src'), cli.packageRoot))).toEqual([]);
    });

    const file = path.join(cli.packageRoot, 'src', 'base', 'sample.ts');
    const rulesOf = (source: string) => checkOutcomes(file, source, cli.packageRoot).map((item) => item.rule);
    const forbidden: [string, string][] = [
      // What cli/src/base/mutation-command.ts did: its own BLOCKED instead of asking the packer, and a reworded
      // CONFLICT.
      ["throw new PackerError('BLOCKED', `Not applied: the plan has ${n} blocker(s).`, { blockers });", 'packer-error'],
      [
        "throw new PackerError('CONFLICT', 'Not applied: the project changed since the preview.', { ...error.data, hint });",
        'packer-error',
      ],
      ["return Promise.reject(new PackerError('NOT_FOUND', 'No such asset.'));", 'packer-error'],
      ["emit('error', new PackerError('INTERNAL', String(error)));", 'packer-error'],
      ["throw new contract.PackerError('INVALID_SETTINGS' as never, 'bad');", 'packer-error'],
      // A code passed through a variable could be any of the packer's.
      ["throw new PackerError(error?.code ?? 'CANCELLED', message, data);", 'packer-error'],
      ["this.error('Expected key=value.', { code: 'INVALID_PARAMS', exit: 2 });", 'packer-error'],
      ["const refusal = { code: 'BLOCKED', message: 'blocked', data: { blockers } };", 'packer-error'],
      ["const record = { operationId, result: 'blocked', revisionBefore: 3, revisionAfter: 3 };", 'packer-outcome'],
      ["rows.push({ operationId, type: 'completed', payload: { revisionAfter: 4 } });", 'packer-outcome'],
    ];
    it.each(forbidden)('%s', (source, rule) => {
      expect(rulesOf(source)).toContain(rule);
    });

    it("passes reading the packer's answers and raising the client's own errors", () => {
      const allowed = [
        "if (error instanceof PackerError && error.code === 'CONFLICT') retry();",
        "throw new PackerError('CONFIRMATION_REQUIRED', 'Not applied: no terminal to confirm on.', { hint: 'Pass --yes.' });",
        "reject(new PackerError('NOT_READY', `Cannot open the packer WebSocket at ${url}.`));",
        "throw new PackerError('PROTOCOL_MISMATCH', 'Another protocol.');",
        'command.error(message, { code: error.code, exit });',
        "const outcome = { type: 'failed', error: payload.error };",
        "const row = { status: 'failed', result: payload.result };",
        "// new PackerError('BLOCKED') in a comment is not code",
      ].join('\n');
      expect(checkOutcomes(file, allowed, cli.packageRoot)).toEqual([]);
    });
  });
});
