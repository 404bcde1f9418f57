import type { ProjectConfig } from '../contract/config-schema.js';
import type { Diagnostic } from '../contract/diagnostics.js';
import { subjectsOf } from '../contract/diagnostic-subjects.js';
import type { AssetView } from '../contract/snapshot-schema.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import type { SnapshotState } from '../snapshot/snapshot-state.js';
import { processorForKind } from './processor-spec.js';
import { toolBlockers, toolSettingBlockers } from './processors/tool-blockers.js';

const blockersById = new WeakMap<SnapshotState, Map<string, Diagnostic[]>>();

/** Why a kind's processor cannot run: not allowed (deny by default), or a tool whose template cannot work. */
export function processorBlockers(config: ProjectConfig, kind: string): Diagnostic[] {
  const spec = processorForKind(config, kind);
  const name = config.kinds[kind]?.processor ?? 'copy';
  if (!spec) {
    return [
      diagnostic(
        'PROCESSOR_NOT_ALLOWED',
        `Kind "${kind}" uses processor "${name}", which is neither built in nor declared in "tools".`,
        { path: 'packer.json' },
        `Declare "${name}" under "tools" in packer.json (command, args with {input} and {output}), or use copy, json, text or image.`,
      ),
    ];
  }
  return spec.type === 'tool' ? toolBlockers(name, kind, spec.tool) : [];
}

/** What stops one asset from being built: the snapshot's blockers about it, an unreadable file, unusable settings. */
export function assetBlockers(state: SnapshotState, asset: AssetView): Diagnostic[] {
  return [...snapshotBlockers(state, asset.id), ...ownBlockers(state.config, asset)];
}

/** The snapshot's blockers about one asset (a missing file, an invalid setting found by the snapshot). */
export function snapshotBlockers(state: SnapshotState, assetId: string): readonly Diagnostic[] {
  return indexBlockers(state).get(assetId) ?? [];
}

/** True when the snapshot has a blocker about any asset. */
export function hasSnapshotBlockers(state: SnapshotState): boolean {
  return indexBlockers(state).size > 0;
}

/** What the asset itself (its view and the config) says against building it: computed from nothing else. */
export function ownBlockers(config: ProjectConfig, asset: AssetView): Diagnostic[] {
  const out: Diagnostic[] = [];
  const subject = { assetId: asset.id, path: asset.path };
  if (asset.status === 'present' && !asset.observation?.digest) {
    out.push(
      diagnostic(
        'UNREADABLE_FILE',
        `${asset.path} exists but could not be read.`,
        subject,
        'Check its permissions, then build again.',
      ),
    );
  }
  const spec = processorForKind(config, asset.kind);
  if (spec?.type === 'tool') out.push(...toolSettingBlockers(spec.id, spec.tool, asset));
  if (spec?.type === 'builtin' && spec.id === 'text' && asset.settings.encoding !== undefined) {
    const problem = encodingProblem(asset.settings.encoding);
    if (problem)
      out.push(
        diagnostic(
          'INVALID_SETTINGS',
          `${asset.path}: ${problem}.`,
          subject,
          'Use an encoding name such as utf-8, utf-16le or latin1.',
        ),
      );
  }
  return out;
}

function encodingProblem(encoding: unknown): string | undefined {
  try {
    new TextDecoder(String(encoding));
    return undefined;
  } catch {
    return `setting "encoding" names no known text encoding (got ${JSON.stringify(encoding)})`;
  }
}

function indexBlockers(state: SnapshotState): Map<string, Diagnostic[]> {
  let index = blockersById.get(state);
  if (!index) {
    index = new Map();
    for (const item of state.snapshot.diagnostics) {
      if (item.severity !== 'blocker') continue;
      // A finding about several assets is indexed under each (the plan reports it once).
      for (const { assetId } of subjectsOf(item))
        if (assetId) index.set(assetId, [...(index.get(assetId) ?? []), item]);
    }
    blockersById.set(state, index);
  }
  return index;
}
