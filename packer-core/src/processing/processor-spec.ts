import { createHash } from 'node:crypto';
import {
  BUILTIN_PROCESSORS,
  type BuiltinProcessor,
  type ProjectConfig,
  type ToolRule,
} from '../contract/config-schema.js';
import type { SettingValue } from '../contract/registry-schema.js';

/** Bumped when a built-in's output for the same input changes, so cached outputs are rebuilt. */
export const BUILTIN_PROCESSOR_VERSIONS: Record<BuiltinProcessor, string> = {
  copy: '1',
  json: '1',
  text: '1',
  image: '1',
};

/** The processor a kind uses, resolved against the config. */
export type ProcessorSpec =
  | { type: 'builtin'; id: BuiltinProcessor; version: string }
  | { type: 'tool'; id: string; version: string; tool: ToolRule };

// Part of every cache key: bump to invalidate all cached outputs at once (e.g. a cache layout change).
const CACHE_KEY_FORMAT = 1;

/** The processor for a kind (`copy` for kinds without a rule), or undefined when it is neither built in nor a declared
 * tool. */
export function processorForKind(config: ProjectConfig, kind: string): ProcessorSpec | undefined {
  const name = config.kinds[kind]?.processor ?? 'copy';
  if ((BUILTIN_PROCESSORS as readonly string[]).includes(name)) {
    const id = name as BuiltinProcessor;
    return { type: 'builtin', id, version: BUILTIN_PROCESSOR_VERSIONS[id] };
  }
  const tool = Object.hasOwn(config.tools, name) ? config.tools[name] : undefined;
  return tool ? { type: 'tool', id: name, version: tool.version, tool } : undefined;
}

/** Display name of a processor, e.g. `image@1` or `tool:optipng@2`. */
export function processorLabel(spec: ProcessorSpec): string {
  return spec.type === 'tool' ? `tool:${spec.id}@${spec.version}` : `${spec.id}@${spec.version}`;
}

/**
 * The cache key of one processed output: sha256 over (input digest, processor id and version, settings,
 * and for a tool its command, argument template and declared version). Paths are not part of it, so a
 * moved or duplicated file reuses its output.
 */
export function cacheKeyOf(
  inputDigest: string,
  spec: ProcessorSpec,
  settings: Readonly<Record<string, SettingValue>>,
): string {
  const sortedSettings = Object.entries(settings).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const tool = spec.type === 'tool' ? [spec.tool.command, spec.tool.args, spec.tool.version] : null;
  const material = JSON.stringify([
    CACHE_KEY_FORMAT,
    inputDigest,
    spec.type,
    spec.id,
    spec.version,
    sortedSettings,
    tool,
  ]);
  return createHash('sha256').update(material).digest('hex');
}
