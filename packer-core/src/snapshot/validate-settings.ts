import type { KindRule, SettingType } from '../contract/config-schema.js';
import type { SettingValue } from '../contract/registry-schema.js';

/** Why settings do not fit a kind's declared settings, or undefined when they do. */
export function settingsProblem(
  settings: Readonly<Record<string, SettingValue>>,
  rule: KindRule | undefined,
): string | undefined {
  const declared = rule?.settings ?? {};
  for (const [key, value] of Object.entries(settings)) {
    const type = declared[key];
    if (type === undefined) return undeclared(key, declared);
    if (typeof value !== type) return `setting "${key}" must be a ${type}, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

/** A setting as a mutation gave it, converted to the kind's declared type, or why it cannot be. */
export type SettingConversion = { value: SettingValue } | { problem: string };

// JavaScript's own number syntax for decimals (no hex, no "Infinity", no empty string, which Number() accepts).
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Converts one setting value given as text (as a person typed it on a command line) to the type its kind
 * declares: `"512"` for a number setting is 512, `"true"` for a boolean one is true, and `"007"` for a string
 * setting stays "007". A value that is already typed is left as it is for `settingsProblem` to check; so is an
 * undeclared key. Text that does not read as the declared type is a problem naming the key, the type and the text.
 */
export function convertSetting(key: string, value: SettingValue, rule: KindRule | undefined): SettingConversion {
  const type: SettingType | undefined = rule && Object.hasOwn(rule.settings, key) ? rule.settings[key] : undefined;
  if (typeof value !== 'string' || type === undefined || type === 'string') return { value };
  const text = value.trim();
  if (type === 'number') {
    const number = DECIMAL.test(text) ? Number(text) : Number.NaN;
    return Number.isFinite(number)
      ? { value: number }
      : { problem: `setting "${key}" must be a number, got ${JSON.stringify(value)}` };
  }
  if (text === 'true' || text === 'false') return { value: text === 'true' };
  return { problem: `setting "${key}" must be a boolean (true or false), got ${JSON.stringify(value)}` };
}

function undeclared(key: string, declared: Readonly<Record<string, SettingType>>): string {
  const allowed = Object.keys(declared);
  return `setting "${key}" is not declared for this kind (allowed: ${allowed.length ? allowed.join(', ') : 'none'})`;
}
