import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { PackBuildInfo } from '../contract/snapshot-schema.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { PackFiles } from '../packs/pack-files.js';
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
}

/**
 * `.packer/build-state.json`: the last build of each pack, with the stat of the files written. It lets a
 * build skip rewriting a pack whose content would not change and whose files nobody touched since, and it
 * restores `lastBuilds` when the daemon restarts.
 */
export class BuildState {
  private records: Record<string, PackRecord> = {};
  private readonly file: string;

  private constructor(stateDir: string) {
    this.file = path.join(stateDir, 'build-state.json');
    if (!existsSync(this.file)) return;
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as { version?: number; packs?: Record<string, PackRecord> };
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
    return !!record && record.headerDigest === headerDigest && sameStamp(stamp(files.pack), record.pack) && sameStamp(stamp(files.manifest), record.manifest);
  }

  /** True when the pack and manifest on disk are, by stat, the very files the packer last wrote for this pack. */
  wrote(files: PackFiles): boolean {
    const record = this.records[files.name];
    return !!record && sameStamp(stamp(files.pack), record.pack) && sameStamp(stamp(files.manifest), record.manifest);
  }

  get(name: string): PackBuildInfo | undefined {
    return this.records[name]?.info;
  }

  record(files: PackFiles, info: PackBuildInfo, headerDigest: string): void {
    this.records[files.name] = { info, headerDigest, pack: stamp(files.pack) ?? [0, 0, 0], manifest: stamp(files.manifest) ?? [0, 0, 0] };
  }

  /** Last builds of the given packs (all recorded when omitted), sorted by pack name. */
  lastBuilds(names?: readonly string[]): PackBuildInfo[] {
    return Object.keys(this.records).filter((name) => !names || names.includes(name)).sort().map((name) => this.records[name]!.info);
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
export async function restoreLastBuilds(workspace: Pick<Workspace, 'root' | 'stateDir' | 'snapshot' | 'config' | 'recordBuilds'>): Promise<boolean> {
  const state = BuildState.load(workspace.stateDir);
  const unverified = checkPacks(workspace.root, workspace.config, state);
  const builds = workspace.snapshot.lastBuilds.length > 0 ? [] : state.lastBuilds(workspace.config.packs.map((rule) => rule.name));
  if (builds.length === 0 && unverified.length === 0) return false;
  await workspace.recordBuilds(builds.length > 0 ? builds : workspace.snapshot.lastBuilds, unverified);
  return true;
}
