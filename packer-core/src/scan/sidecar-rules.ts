import type { ProjectConfig } from '../contract/config-schema.js';

const PLACEHOLDER = '{path}';

/**
 * A config's `sidecars` templates, compiled: which files belong to an owner (an asset's file or a folder) and,
 * the other way, which owner a file would belong to. Pure string work; whether the owner exists is the caller's.
 */
export interface SidecarRules {
  /** The sidecar path of `owner` under each template, in template order (whether or not the file exists). */
  pathsOf(owner: string): string[];
  /** The owners `path` would be a sidecar of, one per template it fits (usually none or one). */
  ownersOf(path: string): string[];
}

interface Template {
  text: string;
  prefix: string;
  suffix: string;
  /** How often `{path}` appears, and the length of everything else: an owner's length follows from a path's. */
  occurrences: number;
  fixed: number;
}

const compiled = new WeakMap<ProjectConfig, SidecarRules | null>();

/** The compiled rules of `config`, or undefined when it declares no sidecars (cached per config object). */
export function sidecarRules(config: Pick<ProjectConfig, 'sidecars'>): SidecarRules | undefined {
  const key = config as ProjectConfig;
  let rules = compiled.get(key);
  if (rules === undefined) {
    rules = config.sidecars && config.sidecars.length > 0 ? compile(config.sidecars) : null;
    compiled.set(key, rules);
  }
  return rules ?? undefined;
}

function compile(texts: readonly string[]): SidecarRules {
  const templates: Template[] = [...new Set(texts)].map((text) => {
    const parts = text.split(PLACEHOLDER);
    return {
      text,
      prefix: parts[0]!,
      suffix: parts[parts.length - 1]!,
      occurrences: parts.length - 1,
      fixed: parts.join('').length,
    };
  });
  const apply = (template: Template, owner: string): string => template.text.split(PLACEHOLDER).join(owner);
  return {
    pathsOf: (owner) => templates.map((template) => apply(template, owner)),
    ownersOf(path) {
      const owners: string[] = [];
      for (const template of templates) {
        const length = (path.length - template.fixed) / template.occurrences;
        if (
          !Number.isInteger(length) ||
          length <= 0 ||
          !path.endsWith(template.suffix) ||
          !path.startsWith(template.prefix)
        )
          continue;
        const owner = path.slice(template.prefix.length, template.prefix.length + length);
        // Every occurrence must agree (checked by applying the template again); an owner is a whole project path.
        if (owner.startsWith('/') || owner.endsWith('/') || apply(template, owner) !== path) continue;
        owners.push(owner);
      }
      return owners;
    },
  };
}

/** A sidecar and where it belongs now that its owner moved. */
export interface SidecarMove {
  from: string;
  to: string;
}

/**
 * Sidecars an owner moved outside the packer (`from` → `to`) left at the old place: present at the old owner's
 * path under a template and absent at the new one's. (When the new one exists, the engine already made it, and
 * the old file is simply an orphan.)
 */
export function leftBehindSidecars(
  rules: SidecarRules,
  files: ReadonlyMap<string, unknown>,
  from: string,
  to: string,
): SidecarMove[] {
  const before = rules.pathsOf(from);
  const after = rules.pathsOf(to);
  const out: SidecarMove[] = [];
  before.forEach((sidecar, index) => {
    if (files.has(sidecar) && !files.has(after[index]!)) out.push({ from: sidecar, to: after[index]! });
  });
  return out;
}
