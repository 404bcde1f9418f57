import type { ProjectConfig, ToolRule } from '../../contract/config-schema.js';
import type { ToolSandboxState } from '../../contract/methods.js';
import { probeToolSandbox } from './tool-sandbox.js';

/** Why a tool cannot run as its `sandbox` mode demands (`required` without bubblewrap), or undefined. */
export function toolSandboxProblem(tool: ToolRule): { problem: string; hint: string } | undefined {
  if (tool.sandbox !== 'required') return undefined;
  const probe = probeToolSandbox();
  if (probe.available) return undefined;
  return {
    problem: `it sets "sandbox": "required", and ${probe.reason}`,
    hint: `${probe.hint} Or set "sandbox": "auto" on the tool in packer.json to run it unsandboxed where bubblewrap is missing.`,
  };
}

/**
 * How the project's external tools are isolated, for `daemon.health`: the sandbox in use, and a warning
 * naming the missing sandbox (and the tools it leaves exposed) when tools would run without one.
 */
export function toolSandboxState(config: ProjectConfig): ToolSandboxState {
  const probe = probeToolSandbox();
  const tools = Object.entries(config.tools);
  const optedOut = tools.filter(([, tool]) => tool.sandbox === 'off').map(([name]) => `"${name}"`);
  const optOutWarning = optedOut.length
    ? `Tool ${optedOut.join(', ')} runs without a sandbox ("sandbox": "off" in packer.json).`
    : undefined;
  if (probe.available) {
    return {
      backend: 'bubblewrap',
      version: probe.version,
      ...(optOutWarning
        ? {
            warning: optOutWarning,
            hint: 'Remove "sandbox": "off" unless the tool truly needs more than its input and output folder.',
          }
        : {}),
    };
  }
  const exposed = tools.filter(([, tool]) => tool.sandbox === 'auto').map(([name]) => `"${name}"`);
  const blocked = tools.filter(([, tool]) => tool.sandbox === 'required').map(([name]) => `"${name}"`);
  const parts = [
    `No sandbox for external tools: ${probe.reason}.`,
    exposed.length
      ? `Tools ${exposed.join(', ')} run with only a scrubbed environment: they can reach the network, read the daemon's environment through /proc, and read or write any file the daemon can.`
      : 'Declared tools would run with only a scrubbed environment.',
    blocked.length ? `Builds using ${blocked.join(', ')} ("sandbox": "required") are blocked.` : '',
    optOutWarning ?? '',
  ];
  return { backend: 'none', warning: parts.filter(Boolean).join(' '), hint: probe.hint };
}
