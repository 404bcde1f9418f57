import type { KindRule } from '../contract/config-schema.js';
import type { SettingValue } from '../contract/registry-schema.js';

/** Why settings do not fit a kind's declared settings, or undefined when they do. */
export function settingsProblem(settings: Readonly<Record<string, SettingValue>>, rule: KindRule | undefined): string | undefined {
  const declared = rule?.settings ?? {};
  for (const [key, value] of Object.entries(settings)) {
    const type = declared[key];
    if (type === undefined) {
      const allowed = Object.keys(declared);
      return `setting "${key}" is not declared for this kind (allowed: ${allowed.length ? allowed.join(', ') : 'none'})`;
    }
    if (typeof value !== type) return `setting "${key}" must be a ${type}, got ${JSON.stringify(value)}`;
  }
  return undefined;
}
