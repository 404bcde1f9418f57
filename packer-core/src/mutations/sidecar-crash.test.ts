import { existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SimulatedCrash, type CommitPoint } from '../commit/commit-journal.js';
import type { ProjectConfigInput } from '../contract/config-schema.js';
import type { MutationInput } from '../contract/mutation-schema.js';
import {
  copyProject,
  readProjectFiles,
  registryByPath,
  registryIds,
  type EntryView,
} from '../testing/project-state.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';

const GODOT: ProjectConfigInput = {
  ...TEST_CONFIG,
  sidecars: ['{path}.import', '{path}.uid'],
  kinds: { ...TEST_CONFIG.kinds, script: { extensions: ['.gd'], processor: 'text' } },
};
const UNITY: ProjectConfigInput = { ...TEST_CONFIG, assetRoots: ['Assets'], packs: [], sidecars: ['{path}.meta'] };

const GODOT_FILES = {
  'assets/x.png': 'png-x',
  'assets/x.png.import': 'import of x',
  'assets/player.gd': 'extends Node\n',
  'assets/player.gd.uid': 'uid://abc\n',
};
const UNITY_FILES = {
  'Assets/Sprites.meta': 'folder meta',
  'Assets/Sprites/Hero.png': 'png-hero',
  'Assets/Sprites/Hero.png.meta': 'guid: 1\n',
};

interface Scenario {
  name: string;
  files: Record<string, string>;
  config: ProjectConfigInput;
  /** Outside changes after registering everything. */
  outside?(root: string): void;
  mutation: MutationInput;
  /** The plan's file steps, as `from → to` or `delete path`, sidecar steps included. */
  steps: string[];
}

const SCENARIOS: Scenario[] = [
  {
    name: 'Godot move with .import',
    files: GODOT_FILES,
    config: GODOT,
    mutation: { type: 'move', from: 'assets/x.png', to: 'assets/art/y.png' },
    steps: ['assets/x.png → assets/art/y.png', 'assets/x.png.import → assets/art/y.png.import'],
  },
  {
    name: 'Godot remove --delete-file with .import and .uid',
    files: GODOT_FILES,
    config: GODOT,
    mutation: { type: 'remove', targets: ['assets/x.png', 'assets/player.gd'], deleteFiles: true },
    steps: [
      'delete assets/player.gd',
      'delete assets/player.gd.uid',
      'delete assets/x.png',
      'delete assets/x.png.import',
    ],
  },
  {
    name: 'Unity folder move with the folder .meta',
    files: UNITY_FILES,
    config: UNITY,
    mutation: { type: 'move', from: 'Assets/Sprites', to: 'Assets/Art' },
    steps: ['Assets/Sprites → Assets/Art', 'Assets/Sprites.meta → Assets/Art.meta'],
  },
  {
    name: 'reconcile of an outside move that left the .uid behind',
    files: GODOT_FILES,
    config: GODOT,
    outside: (root) => {
      mkdirSync(path.join(root, 'assets/scripts'));
      renameSync(path.join(root, 'assets/player.gd'), path.join(root, 'assets/scripts/player.gd'));
    },
    mutation: { type: 'reconcile' },
    steps: ['assets/player.gd.uid → assets/scripts/player.gd.uid'],
  },
];

interface View {
  files: Record<string, string>;
  registry: Record<string, EntryView>;
}

function viewOf(root: string, knownIds: ReadonlySet<string>): View {
  return { files: readProjectFiles(root), registry: registryByPath(root, knownIds) };
}

function points(steps: number): CommitPoint[] {
  return [
    'journal-written',
    ...Array.from({ length: steps }, (_, index) => `step-${index}` as const),
    'registry-written',
    'journal-committed',
    'trash-removed',
  ];
}

describe.each(SCENARIOS)('sidecars survive a crash: $name', (scenario) => {
  let base: string;
  let knownIds: Set<string>;
  let before: View;
  let after: View;
  beforeAll(async () => {
    base = makeTempProject(scenario.files, scenario.config);
    const setup = await Workspace.open(base);
    await setup.apply({ type: 'register', paths: [scenario.config.assetRoots![0]!] });
    await setup.close();
    scenario.outside?.(base);
    knownIds = new Set(registryIds(base));
    before = viewOf(base, knownIds);
    const copy = copyProject(base);
    const ws = await Workspace.open(copy);
    const result = await ws.apply(scenario.mutation);
    expect(
      result.plan.filesystemMutations.map((step) =>
        step.op === 'move' ? `${step.from} → ${step.to}` : `delete ${step.path}`,
      ),
    ).toEqual(scenario.steps);
    expect(result.plan.filesystemMutations.filter((step) => step.sidecarOf !== undefined)).not.toEqual([]);
    after = viewOf(copy, knownIds);
    expect(ws.snapshot.diagnostics.filter((item) => item.severity !== 'info')).toEqual([]);
    await ws.close();
    expect(after).not.toEqual(before);
  });

  it.each(points(scenario.steps.length))(
    'a crash at %s leaves each asset with its sidecars: exactly before or after',
    async (point) => {
      const root = copyProject(base);
      const crashing = await Workspace.open(root, {
        commitHook: (at) => {
          if (at === point) throw new SimulatedCrash(at);
        },
      });
      await expect(crashing.apply(scenario.mutation)).rejects.toBeInstanceOf(SimulatedCrash);
      const recovered = await Workspace.open(root);
      const forward = point === 'journal-committed' || point === 'trash-removed';
      expect(viewOf(root, knownIds)).toEqual(forward ? after : before);
      expect(existsSync(path.join(root, '.packer/journal.json'))).toBe(false);
      expect(existsSync(path.join(root, '.packer/trash'))).toBe(false);
      expect(
        recovered.snapshot.diagnostics.filter(
          (item) => item.code === 'RECOVERY_INCOMPLETE' || item.code === 'ORPHAN_SIDECAR',
        ),
      ).toEqual([]);
      await recovered.close();
    },
  );
});
