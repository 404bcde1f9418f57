import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ProjectConfig } from '../contract/config-schema.js';
import type { PackBuildInfo } from '../contract/snapshot-schema.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import {
  buildDirOf,
  manifestPackFile,
  packFilesOf,
  readManifest,
  type ManifestedFile,
  type PackFiles,
} from '../packs/pack-files.js';
import type { Workspace } from '../workspace/workspace.js';
import { checkPacks } from '../packs/pack-health.js';

type FileStamp = [size: number, mtimeMs: number, ino: number];

/** What the packer remembers of one pack it wrote. */
interface PackRecord {
  info: PackBuildInfo;
  /** Fingerprint of the pack's index (header digest): equal index → equal pack, entry digests included. */
  headerDigest: string;
  pack: FileStamp;
  manifest: FileStamp;
  /** The pack file the manifest names (absent in records written before it was kept). */
  file?: string;
  /** The pack's input fingerprint (see `packInputFingerprint`): equal inputs → this very pack. */
  inputs?: string;
}

/**
 * `.packer/build-state.json`: the last build of each pack, with the stat of the files written and the
 * fingerprint of the inputs it was built from. It lets a build skip a pack whose inputs did not change and
 * whose files nobody touched since (without reading them), resolves a pack's file without parsing its
 * manifest, and restores `lastBuilds` when the daemon restarts.
 */
export class BuildState {
  private records: Record<string, PackRecord> = {};
  private readonly file: string;

  private constructor(stateDir: string) {
    this.file = path.join(stateDir, 'build-state.json');
    if (!existsSync(this.file)) return;
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as {
        version?: number;
        packs?: Record<string, PackRecord>;
      };
      if (parsed.version === 1 && parsed.packs) this.records = parsed.packs;
    } catch {
      // Unreadable state only costs a rewrite of each pack on the next build.
    }
  }

  static load(stateDir: string): BuildState {
    return new BuildState(stateDir);
  }

  /** True when the files on disk are exactly those this state recorded, holding an index with this fingerprint. */
  isCurrent(files: PackFiles, headerDigest: string): boolean {
    const record = this.records[files.name];
    return !!record && record.headerDigest === headerDigest && this.wrote(files);
  }

  /**
   * True when the pack was last built from inputs with this fingerprint and its files on disk are, by stat,
   * the ones the packer wrote then: building it again would write the same bytes.
   */
  isUpToDate(files: PackFiles, inputs: string): boolean {
    const record = this.records[files.name];
    return !!record && record.inputs === inputs && this.wrote(files);
  }

  /** True when the pack and manifest on disk are, by stat, the very files the packer last wrote for this pack. */
  wrote(files: PackFiles): boolean {
    const record = this.records[files.name];
    return !!record && sameStamp(stamp(files.pack), record.pack) && sameStamp(stamp(files.manifest), record.manifest);
  }

  /**
   * Where a pack's files are: from the record when the manifest on disk is, by stat, the one the packer wrote
   * (no manifest is parsed: at 25,000 entries that costs more than the rest of a no-change build), else by
   * reading the manifest (`packFilesOf`).
   */
  packFiles(projectRoot: string, config: ProjectConfig, name: string): PackFiles {
    const record = this.records[name];
    if (record?.file) {
      const dir = buildDirOf(projectRoot, config);
      const manifest = path.join(dir.absolute, `${name}.manifest.json`);
      if (sameStamp(stamp(manifest), record.manifest)) {
        return {
          name,
          pack: path.join(dir.absolute, record.file),
          manifest,
          relativePack: `${dir.relative}/${record.file}`,
          relativeManifest: `${dir.relative}/${name}.manifest.json`,
        };
      }
    }
    return packFilesOf(projectRoot, config, name);
  }

  /** The pack file and digest a manifest names: from the record when it is, by stat, the one the packer wrote; else
   * read. */
  manifestPointer(name: string, manifestPath: string): { file: string; digest: string } | undefined {
    const record = this.records[name];
    if (record?.file && sameStamp(stamp(manifestPath), record.manifest))
      return { file: record.file, digest: record.info.digest };
    const manifest = readManifest(manifestPath);
    const file = manifest && manifestPackFile(manifest);
    return manifest && file ? { file, digest: manifest.digest } : undefined;
  }

  /** `ManifestedFile` by `manifestPointer`. */
  readonly manifestedFile: ManifestedFile = (name, manifestPath) => this.manifestPointer(name, manifestPath)?.file;

  get(name: string): PackBuildInfo | undefined {
    return this.records[name]?.info;
  }

  /** The recorded input fingerprint of a pack, if any. */
  inputsOf(name: string): string | undefined {
    return this.records[name]?.inputs;
  }

  record(
    files: Pick<PackFiles, 'name' | 'pack' | 'manifest'>,
    info: PackBuildInfo,
    headerDigest: string,
    inputs?: string,
  ): void {
    this.records[files.name] = {
      info,
      headerDigest,
      pack: stamp(files.pack) ?? [0, 0, 0],
      manifest: stamp(files.manifest) ?? [0, 0, 0],
      file: path.basename(files.pack),
      ...(inputs ? { inputs } : {}),
    };
  }

  /** Last builds of the given packs (all recorded when omitted), sorted by pack name. */
  lastBuilds(names?: readonly string[]): PackBuildInfo[] {
    return Object.keys(this.records)
      .filter((name) => !names || names.includes(name))
      .sort()
      .map((name) => this.records[name]!.info);
  }

  save(): void {
    writeFileAtomic(this.file, `${JSON.stringify({ version: 1, packs: this.records }, null, 2)}\n`);
  }
}

function stamp(file: string): FileStamp | undefined {
  try {
    const stats = statSync(file);
    return [stats.size, stats.mtimeMs, stats.ino];
  } catch {
    return undefined;
  }
}

function sameStamp(a: FileStamp | undefined, b: FileStamp): boolean {
  return !!a && a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

/**
 * At daemon start: publishes the recorded last builds into the workspace's snapshot (when it has none yet)
 * and the cheap pack check's PACK_UNVERIFIED findings (see `checkPacks`). Returns true when it published.
 */
export async function restoreLastBuilds(
  workspace: Pick<Workspace, 'root' | 'stateDir' | 'snapshot' | 'config' | 'recordBuilds'>,
): Promise<boolean> {
  const state = BuildState.load(workspace.stateDir);
  const unverified = checkPacks(workspace.root, workspace.config, state);
  const builds =
    workspace.snapshot.lastBuilds.length > 0 ? [] : state.lastBuilds(workspace.config.packs.map((rule) => rule.name));
  if (builds.length === 0 && unverified.length === 0) return false;
  await workspace.recordBuilds(builds.length > 0 ? builds : workspace.snapshot.lastBuilds, unverified);
  return true;
}
