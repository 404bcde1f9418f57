import type { ToolRule } from '../../contract/config-schema.js';
import type { Diagnostic } from '../../contract/diagnostics.js';
import type { AssetView } from '../../contract/snapshot-schema.js';
import { diagnostic } from '../../snapshot/diagnostic.js';
import { settingsUsedBy, settingValueProblem, toolTemplateProblem } from './tool-args.js';
import { toolSandboxProblem } from './tool-sandbox-state.js';

/** What stops a kind's tool from running at all: a template that cannot work or is unsafe, a required sandbox this
 * machine lacks. */
export function toolBlockers(name: string, kind: string, tool: ToolRule): Diagnostic[] {
  const out: Diagnostic[] = [];
  const problem = toolTemplateProblem(tool);
  if (problem)
    out.push(
      diagnostic(
        'INVALID_TOOL',
        `Tool "${name}" (used by kind "${kind}"): ${problem}.`,
        { path: 'packer.json' },
        'Fix its "args" in packer.json.',
      ),
    );
  const sandbox = toolSandboxProblem(tool);
  if (sandbox)
    out.push(
      diagnostic(
        'SANDBOX_UNAVAILABLE',
        `Tool "${name}" (used by kind "${kind}") cannot run: ${sandbox.problem}.`,
        { path: 'packer.json' },
        sandbox.hint,
      ),
    );
  return out;
}

/** What stops a tool from running on one asset: a setting the template needs and the asset lacks, or a value the tool
 * would read as an option. */
export function toolSettingBlockers(name: string, tool: ToolRule, asset: AssetView): Diagnostic[] {
  const subject = { assetId: asset.id, path: asset.path };
  const out: Diagnostic[] = [];
  for (const setting of settingsUsedBy(tool)) {
    const value = asset.settings[setting];
    if (value === undefined) {
      out.push(
        diagnostic(
          'INVALID_SETTINGS',
          `${asset.path}: tool "${name}" needs setting "${setting}", which the asset does not set.`,
          subject,
          `Set it with \`packer set ${asset.path} ${setting}=…\`.`,
        ),
      );
      continue;
    }
    const problem = settingValueProblem(tool, setting, value);
    if (problem) {
      out.push(
        diagnostic(
          'INVALID_SETTINGS',
          `${asset.path}: ${problem} (tool "${name}").`,
          subject,
          `Give it a value that does not start with "-", or, if "${setting}" is meant to carry options, list it in the tool's "optionSettings" in packer.json.`,
        ),
      );
    }
  }
  return out;
}
