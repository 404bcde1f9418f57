import type { ToolRule } from '../../contract/config-schema.js';
import type { SettingValue } from '../../contract/registry-schema.js';

// A placeholder is a name in braces, e.g. {input} or {setting.quality}; other braces (a JSON or script argument) are literal text.
const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_.-]+)?)\}/g;
const SETTING = /^setting\.([A-Za-z0-9_.-]+)$/;

/**
 * Why a tool's argument template cannot work (an unknown placeholder), or undefined. A template without
 * `{output}` is allowed to run: such a tool fails its asset when it writes nothing at the output path.
 */
export function toolTemplateProblem(tool: ToolRule): string | undefined {
  for (const arg of tool.args) {
    for (const [, name = ''] of arg.matchAll(PLACEHOLDER)) {
      if (name !== 'input' && name !== 'output' && !SETTING.test(name)) return `unknown placeholder {${name}} in argument ${JSON.stringify(arg)} (use {input}, {output} or {setting.NAME})`;
    }
  }
  return undefined;
}

/** True when some argument passes the output path. */
export function mentionsOutput(tool: ToolRule): boolean {
  return tool.args.some((arg) => arg.includes('{output}'));
}

/** Setting names the template substitutes. */
export function settingsUsedBy(tool: ToolRule): string[] {
  const names = new Set<string>();
  for (const arg of tool.args) for (const [, name = ''] of arg.matchAll(PLACEHOLDER)) {
    const setting = SETTING.exec(name)?.[1];
    if (setting) names.add(setting);
  }
  return [...names];
}

/**
 * Expands the template: each template argument becomes exactly one argument, placeholders replaced inside
 * it and never split or re-parsed, so a file name with spaces, quotes or `$(...)` is only ever text.
 * Paths are absolute, so no argument made from a path can start with `-`.
 */
export function expandToolArgs(tool: ToolRule, values: { input: string; output: string; settings: Readonly<Record<string, SettingValue>> }): string[] {
  return tool.args.map((arg) => arg.replace(PLACEHOLDER, (whole, name: string) => {
    if (name === 'input') return values.input;
    if (name === 'output') return values.output;
    const setting = SETTING.exec(name)?.[1];
    const value = setting === undefined ? undefined : values.settings[setting];
    return value === undefined ? whole : String(value);
  }));
}
