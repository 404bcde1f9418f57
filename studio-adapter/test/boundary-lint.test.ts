import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { NAMED_FILES } from '../../lint/boundary.js';

// The import boundary is a lint rule (lint/boundary.js, run by `npm run lint`). These tests run the repository's own
// ESLint configuration, limited to the boundary's rules and without type information (fast), over the real sources
// and over samples of what must stay forbidden, so a rule that silently stops matching fails here.
const repo = fileURLToPath(new URL('../../', import.meta.url));
const BOUNDARY_RULES = new Set(['no-restricted-imports', 'no-restricted-syntax', 'packer/no-relative-escape']);
const eslint = new ESLint({
  cwd: repo,
  ruleFilter: ({ ruleId }) => BOUNDARY_RULES.has(ruleId),
  overrideConfig: { languageOptions: { parserOptions: { project: false } } },
});

const problems = (results: ESLint.LintResult[]): string[] =>
  results.flatMap((result) =>
    result.messages.map((m) => `${path.relative(repo, result.filePath)}:${m.line} [${m.ruleId}] ${m.message}`),
  );

/** What the boundary says about `source` placed at `file` (relative to the repository). */
async function lint(file: string, source: string): Promise<string[]> {
  return problems(await eslint.lintText(source, { filePath: path.join(repo, file) }));
}

describe('the boundary, as lint rules: consumers reach the packer only through its contract and client library', () => {
  it.each(['studio-adapter/src', 'cli/src', 'studio-web/src'])('%s keeps it', async (folder) => {
    const results = await eslint.lintFiles([`${folder}/**/*.{ts,tsx}`]);
    expect(results.filter((result) => !/\.test\.tsx?$/.test(result.filePath)).length).toBeGreaterThan(5);
    expect(problems(results)).toEqual([]);
  });

  it('every file the rules name exists (a stale entry would silently widen the boundary later)', () => {
    expect(NAMED_FILES.length).toBeGreaterThan(5);
    for (const file of NAMED_FILES) expect(existsSync(path.join(repo, file)), file).toBe(true);
  });

  describe('flags what it must (so a clean lint means something)', () => {
    const adapterFile = 'studio-adapter/src/view-models/sample.ts';
    const forbidden: [source: string, rule: string, says: string][] = [
      ["import { Workspace } from '@packer/core';", 'no-restricted-imports', 'only through'],
      ["import type { SnapshotState } from '@packer/core';", 'no-restricted-imports', 'only through'],
      ["export * from '@packer/core';", 'no-restricted-imports', 'only through'],
      ["export { planMove } from '@packer/core';", 'no-restricted-imports', 'only through'],
      ["import { planMove } from '@packer/core/dist/mutations/plan-move.js';", 'no-restricted-imports', 'only through'],
      ["import { Plan } from '@packer/core/contract/mutation-schema';", 'no-restricted-imports', 'only through'],
      ["import { Daemon } from '@packer/daemon';", 'no-restricted-imports', 'only through'],
      ["import { socketTransport } from '@packer/daemon/dist/rpc/transport.js';", 'no-restricted-imports', 'only'],
      // The client library moved out of the daemon; its old entry points are the daemon's, not the client's.
      ["import { DaemonClient } from '@packer/daemon/client';", 'no-restricted-imports', 'only through'],
      ["import { RpcConnection } from '@packer/daemon/client/browser';", 'no-restricted-imports', 'only through'],
      // The Node client (sockets, child processes) outside the one file of the Node entry that opens a project.
      ["import { ProjectClient } from '@packer/client';", 'no-restricted-imports', 'only through'],
      ["import { socketTransport } from '@packer/client/dist/node/socket-transport.js';", 'no-restricted-imports', ''],
      ["const core = await import('@packer/core');", 'no-restricted-syntax', 'only through'],
      ["type W = import('@packer/core').Workspace;", 'no-restricted-syntax', 'only through'],
      // Split so the repository's own grep-based boundary hook does not mistake this sample for a real import.
      [
        "import { planMove } from '../../../packer-" + "core/src/mutations/plan-move.js';",
        'packer/no-relative-escape',
        '',
      ],
      ["import { Daemon } from '../../../daemon/src/daemon.js';", 'packer/no-relative-escape', 'leaves the package'],
      ["const daemon = await import('../../../daemon/src/daemon.js');", 'packer/no-relative-escape', ''],
      ["import { readFileSync } from 'node:fs';", 'no-restricted-imports', "packer's to read"],
      ["import fs from 'fs';", 'no-restricted-imports', "packer's to read"],
      ["import { readFile } from 'fs/promises';", 'no-restricted-imports', "packer's to read"],
      ["const { readFile } = await import('node:fs/promises');", 'no-restricted-syntax', "packer's to read"],
      ["const fs = require('fs');", 'no-restricted-syntax', 'require()'],
      ['const name = "core"; await import(`@packer/${name}`);', 'no-restricted-syntax', 'computed'],
      ["export const registry = 'packer.registry.json';", 'no-restricted-syntax', "packer's to read"],
      ['export const registry = `${root}/packer.registry.json`;', 'no-restricted-syntax', "packer's to read"],
    ];
    it.each(forbidden)('%s', async (source, rule, says) => {
      expect((await lint(adapterFile, source)).filter((line) => line.includes(`[${rule}]`)).join('\n')).toContain(says);
    });

    it('the CLI may not import packer-core but in the two files that run where no daemon can serve', async () => {
      const core = "import { mergeRegistryTexts } from '@packer/core';";
      expect(await lint('cli/src/commands/status.ts', core)).toHaveLength(1);
      expect(await lint('cli/src/commands/status.ts', "await import('@packer/core');")).toHaveLength(1);
      expect(await lint('cli/src/commands/merge-driver.ts', core)).toEqual([]);
      expect(await lint('cli/src/commands/git/install.ts', "await import('@packer/core');")).toEqual([]);
      expect(await lint('cli/src/commands/status.ts', "import { Daemon } from '@packer/daemon';")).toHaveLength(1);
    });

    it('a CLI file allowed to touch the disk still may not name packer.json or the registry', async () => {
      const logs = 'cli/src/commands/daemon/logs.ts';
      const readsConfig = "import { readFileSync } from 'node:fs';\nreadFileSync(`${root}/packer.json`, 'utf8');";
      expect(await lint(logs, readsConfig)).toEqual([expect.stringContaining('logs.ts:2 [no-restricted-syntax]')]);
      expect(await lint(logs, "import { readFileSync } from 'node:fs';\nreadFileSync('.packer/daemon.log');")).toEqual(
        [],
      );
      // Elsewhere the fs import itself is the problem; help text naming packer.json is fine.
      expect(await lint('cli/src/commands/init.ts', "export const help = 'Create packer.json';")).toEqual([]);
    });

    it('the Studio page imports only the adapter’s browser entry, React and its own files', async () => {
      const page = 'studio-web/src/Sample.tsx';
      for (const source of [
        "import { DaemonClient } from '@packer/client/browser';",
        "import type { Plan } from '@packer/core/contract';",
        "import { StudioSession } from '@packer/studio-adapter';",
        "import { thing } from '../test/support/thing.js';",
        "const page = await import('@packer/core');",
      ]) {
        expect(await lint(page, source), source).not.toEqual([]);
      }
      const allowed = [
        "import { useState } from 'react';",
        "import { createRoot } from 'react-dom/client';",
        "import { StudioSession } from '@packer/studio-adapter/browser';",
        "import { App } from './App.js';",
      ].join('\n');
      expect(await lint(page, allowed)).toEqual([]);
    });

    it('passes the allowed imports, and ignores comments and help text', async () => {
      const allowed = [
        "import type { Plan } from '@packer/core/contract';",
        "import { PackerError } from '@packer/core/contract/runtime';",
        "import { DaemonClient, RpcConnection } from '@packer/client/browser';",
        "import { navigatorRows } from './navigator.js';",
        "import { DaemonClient as Base } from '../studio-session.js';",
        "import path from 'node:path';",
        "// reads packer.registry.json? no: the packer does\nexport const help = 'Create packer.json';",
      ].join('\n');
      expect(await lint(adapterFile, allowed)).toEqual([]);
      const projectClient = "import { findProjectRoot, ProjectClient } from '@packer/client';";
      expect(await lint('studio-adapter/src/connect-project.ts', projectClient)).toEqual([]);
      expect(await lint('cli/src/base/sample.ts', projectClient)).toEqual([]);
    });

    it('leaves tests free to set up fixtures however they need', async () => {
      const setup = "import { readFileSync } from 'node:fs';\nimport { Workspace } from '@packer/core';";
      expect(await lint('studio-adapter/src/view-models/sample.test.ts', setup)).toEqual([]);
      expect(await lint('cli/test/sample.e2e.test.ts', setup)).toEqual([]);
    });
  });
});
