import path from 'node:path';
import type { ProjectConfig } from '../contract/config-schema.js';
import type { PackBuildInfo } from '../contract/snapshot-schema.js';
import { fsyncDirectory } from '../fs/atomic-write.js';
import type { BuildCrashHook } from '../processing/build-crash-points.js';
import { BuildJournalFile, type JournalPack } from './build-journal.js';
import {
  manifestedFile,
  manifestPackFile,
  readManifest,
  removeUnreferencedPacks,
  type ManifestedFile,
  type PackFiles,
} from './pack-files.js';
import { commitManifest, placePack, type StagedPack } from './pack-writer.js';

/** One staged pack to put in place, with what the build state will record for it. */
export interface PackToCommit {
  files: PackFiles;
  staged: StagedPack;
  info: PackBuildInfo;
  headerDigest: string;
  /** The version the manifest names now, when the caller knows it without reading the manifest. */
  previous?: { file: string; digest: string } | undefined;
}

/**
 * Puts staged packs in place so that each pack and its manifest change together or not at all, for readers
 * and for crashes alike (the scheme of git packs and OCI layouts: content-addressed data first, the name
 * that points at it last):
 *
 * 1. journal the packs (previous and next version) in `.packer/build-journal.json`;
 * 2. rename every pack to its content-addressed name `<name>.<digest>.pack` (no manifest names it yet), fsync the
 *    folder;
 * 3. commit each manifest (temp, fsync, rename, fsync folder): the commit point of that pack;
 * 4. remove the pack files no manifest names any more.
 *
 * A crash before a pack's manifest is committed leaves that pack's previous version in force; recovery reads
 * the journal to report which packs were replaced. The journal stays (state `committing`) until the caller
 * has saved the build state and calls `finish`.
 */
export function commitPacks(
  input: {
    projectRoot: string;
    config: ProjectConfig;
    stateDir: string;
    packs: readonly PackToCommit[];
    operationId?: string | undefined;
    /** What the manifests of the packs not committed here name (default: read them). */
    manifestedFile?: ManifestedFile | undefined;
  },
  crash: BuildCrashHook = () => undefined,
): { finish(): void } {
  if (input.packs.length === 0) return { finish: () => undefined };
  const journal = new BuildJournalFile(input.stateDir);
  const entries: JournalPack[] = input.packs.map(({ files, staged, info, headerDigest, previous: known }) => {
    const manifest = known ? undefined : readManifest(files.manifest);
    const manifestFile = manifest && manifestPackFile(manifest);
    const previous = known ?? (manifest && manifestFile ? { file: manifestFile, digest: manifest.digest } : undefined);
    return {
      name: files.name,
      ...(previous ? { previous } : {}),
      next: { file: staged.file, digest: staged.digest },
      info,
      headerDigest,
    };
  });
  const base = {
    format: 'packer-build-journal' as const,
    version: 1 as const,
    ...(input.operationId ? { operationId: input.operationId } : {}),
    packs: entries,
  };
  journal.write({ ...base, state: 'committing' });
  crash('build:journal-written');
  const dirs = new Set(input.packs.map(({ staged }) => path.dirname(staged.target)));
  for (const { files, staged } of input.packs) {
    placePack(staged);
    crash(`build:pack-placed:${files.name}`);
  }
  // Every new pack is durable under its final name before any manifest can point at it.
  for (const dir of dirs) fsyncDirectory(dir);
  crash('build:packs-placed');
  for (const { files, staged } of input.packs) {
    commitManifest(staged);
    crash(`build:manifest-committed:${files.name}`);
  }
  const committed = new Map(input.packs.map(({ files, staged }) => [files.name, staged.file]));
  removeUnreferencedPacks(
    input.projectRoot,
    input.config,
    (name, manifestPath) => committed.get(name) ?? (input.manifestedFile ?? manifestedFile)(name, manifestPath),
  );
  for (const dir of dirs) fsyncDirectory(dir);
  crash('build:old-packs-removed');
  return {
    finish: () => journal.write({ ...base, state: 'done' }),
  };
}
