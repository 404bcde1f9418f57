import path from 'node:path';
import type { ProjectConfig } from '../contract/config-schema.js';
import type { ErrorData } from '../contract/errors.js';
import { BuildJournalFile } from './build-journal.js';
import { BuildState } from '../processing/build-state.js';
import { buildDirOf, manifestPathOf, removeUnreferencedPacks, sweepTempPacks } from './pack-files.js';

/** What recovery found of the last build commit and cleaned up after it. */
export interface BuildRecovery {
  /** Operation of the build whose commit the journal recorded (absent without a journal or an id). */
  operationId?: string;
  /** The journal's state: `committing` when the build stopped while putting packs in place. */
  journal: 'none' | 'committing' | 'done' | 'invalid';
  /** Packs whose manifest now names the version that build wrote. */
  replaced: string[];
  /** Packs that build meant to replace whose manifest still names the previous version (or none). */
  kept: string[];
  /** Temp files and unreferenced pack files removed from the build folder. */
  removed: string[];
  /** Why recovery could not finish (the build folder or journal could not be read or cleaned). */
  problem?: string;
}

/**
 * Cleans up after an interrupted build (daemon start, and the start of every build): removes temp files and
 * pack files no manifest names, compares the build journal with the manifests to find which packs were
 * replaced, records those in the build state, and removes the journal. Reads no pack data.
 */
export function recoverBuildFolder(projectRoot: string, stateDir: string, config: ProjectConfig): BuildRecovery {
  try {
    return recoverNow(projectRoot, stateDir, config);
  } catch (error) {
    // An unreadable build folder must not keep the daemon from starting; the next build meets the same
    // problem and reports it, and `checkPacks` flags what it can.
    return { journal: 'invalid', replaced: [], kept: [], removed: [], problem: (error as Error).message };
  }
}

function recoverNow(projectRoot: string, stateDir: string, config: ProjectConfig): BuildRecovery {
  const removed = sweepTempPacks(buildDirOf(projectRoot, config).absolute);
  const journalFile = new BuildJournalFile(stateDir);
  const journal = journalFile.read();
  const recovery: BuildRecovery = {
    journal: journal === undefined ? 'none' : journal === 'invalid' ? 'invalid' : journal.state,
    replaced: [],
    kept: [],
    removed,
  };
  if (journal && journal !== 'invalid') {
    if (journal.operationId) recovery.operationId = journal.operationId;
    const state = BuildState.load(stateDir);
    for (const pack of journal.packs) {
      const manifest = manifestPathOf(projectRoot, config, pack.name);
      // The build state knows (by stat) what a manifest it wrote names: no manifest of a big pack is parsed.
      const named = config.packs.some((rule) => rule.name === pack.name)
        ? state.manifestPointer(pack.name, manifest)
        : undefined;
      if (named && named.file === pack.next.file && named.digest === pack.next.digest) {
        recovery.replaced.push(pack.name);
        if (journal.state === 'committing')
          state.record(
            { name: pack.name, manifest, pack: path.join(path.dirname(manifest), named.file) },
            pack.info,
            pack.headerDigest,
          );
      } else {
        recovery.kept.push(pack.name);
      }
    }
    if (journal.state === 'committing' && recovery.replaced.length > 0) state.save();
  }
  removed.push(...removeUnreferencedPacks(projectRoot, config, BuildState.load(stateDir).manifestedFile));
  if (journal) journalFile.remove();
  return recovery;
}

/**
 * The `failed` event of a build a crashed daemon left without a terminal event: what its packs are now.
 * `started` says whether the build had begun; `recovery` is what `recoverBuildFolder` found at this start.
 */
export function interruptedBuildError(
  operationId: string,
  started: boolean,
  recovery: BuildRecovery,
): { message: string; data: ErrorData['INTERNAL'] } {
  const ours =
    recovery.journal !== 'none' && (recovery.operationId === undefined || recovery.operationId === operationId);
  if (started && recovery.journal === 'invalid') {
    return {
      message:
        "The daemon stopped during this build and its build journal was unreadable: each manifest names a complete pack, but which packs were replaced is unknown. Run `packer status` to see each pack's last build.",
      data: { recovered: 'unknown' },
    };
  }
  if (!started || !ours || (recovery.replaced.length === 0 && recovery.kept.length === 0)) {
    return {
      message: started
        ? 'The daemon stopped during this build, before it put any pack in place: no pack was replaced; every pack kept its previous version.'
        : 'The daemon stopped before this build started: no pack was replaced.',
      data: { recovered: 'before', replaced: [], kept: [] },
    };
  }
  const { replaced, kept } = recovery;
  const list = (names: string[]) => names.join(', ');
  const data: ErrorData['INTERNAL'] = {
    recovered: kept.length === 0 ? 'after' : replaced.length === 0 ? 'before' : 'partial',
    replaced,
    kept,
  };
  if (kept.length === 0)
    return {
      message: `The daemon stopped after this build put its packs in place: ${replaced.length === 1 ? 'pack' : 'packs'} ${list(replaced)} ${replaced.length === 1 ? 'was' : 'were'} replaced.`,
      data,
    };
  const keptText = `${list(kept)} kept ${kept.length === 1 ? 'its' : 'their'} previous version`;
  if (replaced.length === 0)
    return {
      message: `The daemon stopped while this build was putting packs in place, before any manifest was committed: no pack was replaced; ${keptText}.`,
      data,
    };
  return {
    message: `The daemon stopped while this build was putting packs in place: ${replaced.length === 1 ? 'pack' : 'packs'} ${list(replaced)} ${replaced.length === 1 ? 'was' : 'were'} replaced; ${keptText}. Build again to bring ${kept.length === 1 ? 'it' : 'them'} up to date.`,
    data,
  };
}
