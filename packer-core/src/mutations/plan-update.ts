import type { z } from 'zod';
import { FALLBACK_KIND } from '../contract/config-schema.js';
import type { UpdateMutation } from '../contract/mutation-schema.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import { convertSetting, settingsProblem } from '../snapshot/validate-settings.js';
import { resolveAssets, type PlanBuilder, type PlanContext } from './plan-context.js';
import { entryOf, normalizeTags } from './registry-entry.js';
import { canonicalEntry } from '../registry/registry-codec.js';
import { normalizeTag } from '../contract/tag-name.js';
import { reportInvalidTags } from './invalid-tags.js';

/**
 * Changes one asset's settings, tags or kind. Settings given as text are converted by the (new) kind's declared
 * types, then all settings are validated against that kind.
 */
export function planUpdate(builder: PlanBuilder, context: PlanContext, mutation: z.infer<typeof UpdateMutation>): void {
  const { assets, folder } = resolveAssets(builder, context, mutation.target);
  if (folder && assets.length !== 1) {
    if (assets.length > 0)
      builder.report(
        diagnostic(
          'INVALID_PATH',
          `${folder} is a folder; update takes one asset.`,
          { path: folder },
          'Name one asset by id or file path.',
        ),
      );
    return;
  }
  const asset = assets[0];
  if (!asset) return;
  const before = entryOf(asset);
  const subject = { assetId: asset.id, path: asset.path };
  if (reportInvalidTags(builder, mutation.addTags, subject) > 0) return;
  const removed = new Set((mutation.removeTags ?? []).map(normalizeTag));
  const tags = normalizeTags([...before.tags.filter((tag) => !removed.has(tag)), ...(mutation.addTags ?? [])]);
  const kind = mutation.kind ?? before.kind;
  const rule = context.state.config.kinds[kind];
  if (!rule && kind !== FALLBACK_KIND) {
    builder.report(
      diagnostic(
        'UNKNOWN_KIND',
        `Kind "${kind}" is not defined in packer.json.`,
        subject,
        `Use one of: ${Object.keys(context.state.config.kinds).join(', ')}.`,
      ),
    );
    return;
  }
  const settings: RegistryEntry['settings'] = { ...before.settings };
  let problem: string | undefined;
  for (const [key, value] of Object.entries(mutation.settings ?? {})) {
    if (value === null) {
      delete settings[key];
      continue;
    }
    const converted = convertSetting(key, value, rule);
    if ('problem' in converted) problem ??= converted.problem;
    else settings[key] = converted.value;
  }
  problem ??= settingsProblem(settings, rule);
  if (problem) {
    builder.report(
      diagnostic(
        'INVALID_SETTINGS',
        `${asset.path}: ${problem}.`,
        subject,
        'Declare the setting for this kind in packer.json, or fix its value.',
      ),
    );
    return;
  }
  const after: RegistryEntry = { ...before, kind, settings, tags };
  if (JSON.stringify(canonicalEntry(after)) !== JSON.stringify(canonicalEntry(before))) {
    builder.registryMutations.push({ op: 'update', before, after });
  }
}
