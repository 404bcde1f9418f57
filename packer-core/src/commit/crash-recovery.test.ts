import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { PackerError } from '../contract/errors.js';
import type { MutationInput } from '../contract/mutation-schema.js';
import type { DivergenceEntry } from '../contract/snapshot-schema.js';
import { newOperationId } from '../ids/asset-id.js';
import { parseRegistry, serializeRegistry } from '../registry/registry-codec.js';
import {
  copyProject,
  readProjectFiles,
  readRegistryFiles,
  readRegistryText,
  registryByPath,
  registryIds,
  type EntryView,
} from '../testing/project-state.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { SimulatedCrash, type CommitPoint } from './commit-journal.js';

const FILES = {
  'assets/hero.png': 'png-bytes-hero',
  'assets/ui/button.png': 'png-bytes-button',
  'assets/ui/icon.png': 'png-bytes-icon',
  'assets/levels/one.json': '{"a":1}',
  'assets/readme.txt': 'hello',
  'assets/extra/new.txt': 'not registered yet',
};
const REGISTERED = ['assets/hero.png', 'assets/ui', 'assets/levels', 'assets/readme.txt'];

interface Scenario {
  name: string;
  /** `registry.shards` of the project (1: packer.registry.json; 16: packer.registry/, several files per commit). */
  shards?: 1 | 16;
  /** Prepares the project the mutation runs against (registry, outside changes). */
  setup(root: string): Promise<void>;
  mutation: MutationInput;
  /** How many filesystem steps the plan has. */
  steps: number;
  /** Checked once on the crash-free run, so the scenario really exercises what its name says. */
  checkPlan?(ops: string[]): void;
}

async function registerSome(root: string): Promise<void> {
  const ws = await Workspace.open(root);
  await ws.apply({ type: 'register', paths: REGISTERED });
  await ws.close();
}

const SCENARIOS: Scenario[] = [
  {
    name: 'register file',
    setup: registerSome,
    mutation: { type: 'register', paths: ['assets/extra/new.txt'], tags: ['fresh'] },
    steps: 0,
  },
  // No registry file yet: recovery must restore "no file", not an empty registry.
  {
    name: 'register folder (no registry yet)',
    setup: async () => undefined,
    mutation: { type: 'register', paths: ['assets'] },
    steps: 0,
  },
  {
    name: 'move file',
    setup: registerSome,
    mutation: { type: 'move', from: 'assets/hero.png', to: 'assets/characters/hero.png' },
    steps: 1,
  },
  {
    name: 'move folder',
    setup: registerSome,
    mutation: { type: 'move', from: 'assets/ui', to: 'assets/interface' },
    steps: 1,
  },
  {
    name: 'remove',
    setup: registerSome,
    mutation: { type: 'remove', targets: ['assets/readme.txt', 'assets/ui'] },
    steps: 0,
  },
  {
    name: 'remove with deleteFiles',
    setup: registerSome,
    mutation: { type: 'remove', targets: ['assets/readme.txt', 'assets/ui'], deleteFiles: true },
    steps: 3,
  },
  {
    name: 'update',
    setup: registerSome,
    mutation: {
      type: 'update',
      target: 'assets/hero.png',
      settings: { premultiply: true, maxSize: 512 },
      addTags: ['hero'],
    },
    steps: 0,
  },
  {
    name: 'reconcile (relink + drop + adopt)',
    setup: async (root) => {
      await registerSome(root);
      // Outside the packer: move hero.png away (relink), delete readme.txt (drop); extra/new.txt stays untracked
      // (adopt).
      mkdirSync(path.join(root, 'assets/chars'));
      renameSync(path.join(root, 'assets/hero.png'), path.join(root, 'assets/chars/hero.png'));
      rmSync(path.join(root, 'assets/readme.txt'));
    },
    mutation: { type: 'reconcile' },
    steps: 0,
    checkPlan: (ops) => expect(ops.sort()).toEqual(['add', 'remove', 'update']),
  },
];

interface ProjectView {
  files: Record<string, string>;
  registry: Record<string, EntryView>;
  divergence: string[];
}

/** What a test compares: files and bytes, the registry modulo new ids, and the derived divergence. */
function viewOf(root: string, knownIds: ReadonlySet<string>, divergence: readonly DivergenceEntry[]): ProjectView {
  return {
    files: readProjectFiles(root),
    registry: registryByPath(root, knownIds),
    divergence: divergence.map((entry) => JSON.stringify(entry)).sort(),
  };
}

interface Prepared {
  scenario: Scenario;
  base: string;
  knownIds: Set<string>;
  before: ProjectView;
  /** Registry bytes before (null: no file): a rolled-back crash must restore exactly these. */
  registryBefore: string | null;
  after: ProjectView;
  points: CommitPoint[];
}

/** Builds the scenario's base project and runs the mutation once without a crash (in a copy) to learn "after". */
async function prepare(scenario: Scenario): Promise<Prepared> {
  const base = makeTempProject(FILES, { ...TEST_CONFIG, registry: { shards: scenario.shards ?? 1 } });
  await scenario.setup(base);
  const knownIds = new Set(registryIds(base));
  const copy = copyProject(base);
  const points: CommitPoint[] = [];
  const ws = await Workspace.open(copy, { commitHook: (point) => void points.push(point) });
  const before = viewOf(copy, knownIds, ws.snapshot.divergence);
  const registryBefore = readRegistryText(copy);
  const result = await ws.apply(scenario.mutation);
  scenario.checkPlan?.(result.plan.registryMutations.map((change) => change.op));
  const after = viewOf(copy, knownIds, ws.snapshot.divergence);
  await ws.close();
  // A fresh open of the "after" project derives the same divergence the committing workspace published.
  expect(viewOf(copy, knownIds, (await Workspace.open(copy)).snapshot.divergence)).toEqual(after);
  expect(after).not.toEqual(before);
  return { scenario, base, knownIds, before, registryBefore, after, points };
}

function expectedPoints(steps: number): CommitPoint[] {
  return [
    'journal-written',
    ...Array.from({ length: steps }, (_, index) => `step-${index}` as const),
    'registry-written',
    'journal-committed',
    'trash-removed',
  ];
}

/** Past this point the operation is committed and recovery rolls forward. */
function rollsForward(point: CommitPoint): boolean {
  return point === 'journal-committed' || point === 'trash-removed';
}

function expectNoCommitLeftovers(root: string): void {
  expect(existsSync(path.join(root, '.packer/journal.json'))).toBe(false);
  expect(existsSync(path.join(root, '.packer/trash'))).toBe(false);
}

/** The registry on disk is canonical, and its new ids are well-formed and distinct. */
function expectCanonicalRegistry(root: string, knownIds: ReadonlySet<string>): void {
  for (const [name, text] of Object.entries(readRegistryFiles(root)))
    expect(serializeRegistry(parseRegistry(text, name, root))).toBe(text);
  const ids = registryIds(root);
  expect(new Set(ids).size).toBe(ids.length);
  for (const id of ids) if (!knownIds.has(id)) expect(id).toMatch(/^a_[0-9A-HJKMNP-TV-Z]{26}$/);
}

// Every scenario again with a sharded registry: moves across folders, adds and removes then change several files (and
// create or delete shards) in one commit, journaled as one record per file.
const SHARDED: Scenario[] = SCENARIOS.map((scenario) => ({
  ...scenario,
  name: `${scenario.name}, 16 shards`,
  shards: 16,
}));

describe.each([...SCENARIOS, ...SHARDED])('crash recovery: $name', (scenario) => {
  let prepared: Prepared;
  beforeAll(async () => {
    prepared = await prepare(scenario);
  });

  it('passes every commit point, in order, with one step-N per filesystem step', () => {
    expect(prepared.points).toEqual(expectedPoints(scenario.steps));
  });

  it.each(expectedPoints(scenario.steps))('a crash at %s recovers to exactly before or after', async (point) => {
    const root = copyProject(prepared.base);
    expect(readProjectFiles(root)).toEqual(prepared.before.files);
    const operationId = newOperationId();
    const crashing = await Workspace.open(root, {
      commitHook: (at) => {
        if (at === point) throw new SimulatedCrash(at);
      },
    });
    await expect(crashing.apply(scenario.mutation, { operationId })).rejects.toBeInstanceOf(SimulatedCrash);
    // The crash left a journal behind (except after trash removal, where only the journal deletion is missing).
    expect(existsSync(path.join(root, '.packer/journal.json'))).toBe(true);

    const recovered = await Workspace.open(root);
    const expected = rollsForward(point) ? prepared.after : prepared.before;
    expect(viewOf(root, prepared.knownIds, recovered.snapshot.divergence)).toEqual(expected);
    if (!rollsForward(point)) expect(readRegistryText(root)).toBe(prepared.registryBefore);
    expectCanonicalRegistry(root, prepared.knownIds);
    expectNoCommitLeftovers(root);
    expect(recovered.snapshot.diagnostics.filter((d) => d.code === 'RECOVERY_INCOMPLETE')).toEqual([]);
    // A real crash writes no "failed" record; recovery writes "applied" once for a committed operation.
    expect(recovered.audit.list({ operationId }).map((record) => record.result)).toEqual(
      rollsForward(point) ? ['applied'] : [],
    );

    // Recovery is done once: opening again changes nothing.
    const filesNow = readProjectFiles(root);
    const registryNow = readRegistryText(root);
    const again = await Workspace.open(root);
    expect(readProjectFiles(root)).toEqual(filesNow);
    expect(readRegistryText(root)).toBe(registryNow);
    expect(again.audit.list({ operationId }).map((record) => record.result)).toEqual(
      rollsForward(point) ? ['applied'] : [],
    );
  });

  it.each(expectedPoints(scenario.steps))(
    'an ordinary error at %s is handled in-process, with no reopen',
    async (point) => {
      const root = copyProject(prepared.base);
      const operationId = newOperationId();
      const ws = await Workspace.open(root, {
        commitHook: (at) => {
          if (at === point) throw new Error(`hook failed at ${at}`);
        },
      });
      const outcome = await ws.apply(scenario.mutation, { operationId }).then(
        () => 'resolved',
        (error: unknown) => error,
      );
      if (rollsForward(point)) {
        // Past the commit point the operation has happened: it is finished, not failed.
        expect(outcome).toBe('resolved');
        expect(viewOf(root, prepared.knownIds, ws.snapshot.divergence)).toEqual(prepared.after);
        expect(ws.audit.list({ operationId }).map((record) => record.result)).toEqual(['applied']);
      } else {
        expect(outcome).toBeInstanceOf(PackerError);
        expect((outcome as PackerError).message).toContain(`hook failed at ${point}`);
        expect(viewOf(root, prepared.knownIds, ws.snapshot.divergence)).toEqual(prepared.before);
        expect(readRegistryText(root)).toBe(prepared.registryBefore);
        expect(ws.audit.list({ operationId }).map((record) => record.result)).toEqual(['failed']);
      }
      expectNoCommitLeftovers(root);
      // The published snapshot agrees with disk: a full rescan finds nothing new.
      expect((await ws.refresh()).changed).toBe(false);
    },
  );
});

describe('crash recovery: idempotency survives a crash', () => {
  it('a key whose commit rolled forward replays; one whose commit rolled back applies afresh', async () => {
    const base = makeTempProject(FILES);
    await registerSome(base);
    const mutation: MutationInput = { type: 'update', target: 'assets/hero.png', addTags: ['k'] };
    for (const point of ['registry-written', 'journal-committed'] as const) {
      const root = copyProject(base);
      const crashing = await Workspace.open(root, {
        commitHook: (at) => {
          if (at === point) throw new SimulatedCrash(at);
        },
      });
      await expect(crashing.apply(mutation, { idempotencyKey: 'key-1' })).rejects.toBeInstanceOf(SimulatedCrash);
      const recovered = await Workspace.open(root);
      const retry = await recovered.apply(mutation, { idempotencyKey: 'key-1' });
      expect(retry.replayed).toBe(point === 'journal-committed');
      expect(recovered.state.byPath.get('assets/hero.png')?.tags).toEqual(['k']);
    }
  });
});

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const coreDist = pathToFileURL(path.join(repoRoot, 'packer-core/dist/index.js')).href;

/** Runs a move in a child Node process that SIGKILLs itself at `point`; resolves with how the child ended. */
function applyInChildAndKill(
  root: string,
  point: CommitPoint,
  operationId: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const script = path.join(root, 'kill-at-point.mjs');
  writeFileSync(
    script,
    [
      `import { Workspace } from ${JSON.stringify(coreDist)};`,
      `const [root, point, operationId] = process.argv.slice(2);`,
      `const ws = await Workspace.open(root, { commitHook: (at) => { if (at === point) process.kill(process.pid, 'SIGKILL'); } });`,
      `await ws.apply({ type: 'move', from: 'assets/hero.png', to: 'assets/characters/hero.png' }, { operationId });`,
      `console.error('the commit finished without reaching ' + point);`,
      '',
    ].join('\n'),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, root, point, operationId], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      rmSync(script);
      resolve({ code, signal, stderr });
    });
  });
}

describe('crash recovery: the process is killed (SIGKILL) mid-commit', () => {
  let prepared: Prepared;
  beforeAll(async () => {
    // The child runs the compiled core: build it first.
    try {
      execFileSync(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b', 'packer-core'], {
        cwd: repoRoot,
        stdio: 'pipe',
      });
    } catch (error) {
      throw new Error(
        `tsc -b packer-core failed, so the child process has no compiled core to run:\n${String((error as { stdout?: Buffer }).stdout ?? error)}`,
        { cause: error },
      );
    }
    prepared = await prepare(SCENARIOS.find((scenario) => scenario.name === 'move file')!);
  }, 120_000);

  it.each(expectedPoints(1))('killed at %s: reopen gives exactly before or after', async (point) => {
    const root = copyProject(prepared.base);
    const operationId = newOperationId();
    const exit = await applyInChildAndKill(root, point, operationId);
    expect(exit).toMatchObject({ signal: 'SIGKILL', stderr: '' });
    expect(existsSync(path.join(root, '.packer/journal.json'))).toBe(true);

    const recovered = await Workspace.open(root);
    expect(viewOf(root, prepared.knownIds, recovered.snapshot.divergence)).toEqual(
      rollsForward(point) ? prepared.after : prepared.before,
    );
    expectNoCommitLeftovers(root);
    expect(recovered.audit.list({ operationId }).map((record) => record.result)).toEqual(
      rollsForward(point) ? ['applied'] : [],
    );
  });
});
