import type { ToolRule } from '../../contract/config-schema.js';
import type { SettingValue } from '../../contract/registry-schema.js';

// A placeholder is a name in braces, e.g. {input} or {setting.quality}; other braces (a JSON or script argument) are
// literal text.
const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_.-]+)?)\}/g;
const WHOLE_PLACEHOLDER = /^\{([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_.-]+)?)\}$/;
const SETTING = /^setting\.([A-Za-z0-9_.-]+)$/;

/**
 * Why a tool's argument template cannot work, or undefined: an unknown placeholder, or a placeholder
 * embedded in other text. Placeholders are whole arguments only, because a value spliced into a larger
 * argument is re-read by whatever parses that argument: `["-c", "cp {input} {output}"]` hands a file name
 * to a shell, `"--out={output}"` lets a value choose the option. A template without `{output}` is allowed
 * to run: such a tool fails its asset when it writes nothing at the output path.
 */
export function toolTemplateProblem(tool: ToolRule): string | undefined {
  for (const [index, arg] of tool.args.entries()) {
    const names = [...arg.matchAll(PLACEHOLDER)].map(([, name = '']) => name);
    const unknown = names.find((name) => name !== 'input' && name !== 'output' && !SETTING.test(name));
    if (unknown !== undefined)
      return `unknown placeholder {${unknown}} in args[${index}] ${JSON.stringify(arg)} (use {input}, {output} or {setting.NAME})`;
    if (names.length > 0 && !WHOLE_PLACEHOLDER.test(arg)) {
      return (
        `args[${index}] ${JSON.stringify(arg)} embeds ${names.map((name) => `{${name}}`).join(', ')} in other text; a placeholder must be a whole argument` +
        ' (split it, e.g. ["--out", "{output}"]; never pass it to a shell with "-c")'
      );
    }
  }
  return undefined;
}

/** True when some argument passes the output path. */
export function mentionsOutput(tool: ToolRule): boolean {
  return tool.args.includes('{output}');
}

/** Setting names the template substitutes. */
export function settingsUsedBy(tool: ToolRule): string[] {
  const names = new Set<string>();
  for (const arg of tool.args)
    for (const [, name = ''] of arg.matchAll(PLACEHOLDER)) {
      const setting = SETTING.exec(name)?.[1];
      if (setting) names.add(setting);
    }
  return [...names];
}

/**
 * Why one asset's setting value cannot be passed to the tool, or undefined: a value the tool would read as
 * an option (it starts with `-`) where the tool does not declare the setting in `optionSettings`.
 */
export function settingValueProblem(tool: ToolRule, setting: string, value: SettingValue): string | undefined {
  if (!String(value).startsWith('-') || tool.optionSettings.includes(setting)) return undefined;
  return `setting "${setting}" is ${JSON.stringify(value)}, which starts with "-": the tool would read it as an option`;
}

/**
 * Expands the template: each template argument becomes exactly one argument; a placeholder argument is
 * replaced by its value whole, never split or re-parsed, so a file name with spaces, quotes or `$(...)` is
 * only ever text. Paths are absolute, so no argument made from a path can start with `-`; a setting value
 * that does is refused unless the tool declares it. Throws on a template `toolTemplateProblem` rejects.
 */
export function expandToolArgs(
  tool: ToolRule,
  values: { input: string; output: string; settings: Readonly<Record<string, SettingValue>> },
): string[] {
  const problem = toolTemplateProblem(tool);
  if (problem) throw new Error(problem);
  return tool.args.map((arg) => {
    const name = WHOLE_PLACEHOLDER.exec(arg)?.[1];
    if (name === undefined) return arg;
    if (name === 'input') return values.input;
    if (name === 'output') return values.output;
    const setting = SETTING.exec(name)?.[1] ?? '';
    const value = values.settings[setting];
    if (value === undefined) throw new Error(`setting "${setting}" is not set`);
    const refused = settingValueProblem(tool, setting, value);
    if (refused) throw new Error(refused);
    return String(value);
  });
}
