import type { MethodResult } from '@packer/core/contract';
import { plural } from '../render/format.js';
import { terminalText } from '../render/terminal-text.js';

type Health = Pick<MethodResult<'daemon.health'>, 'toolSandbox' | 'storage' | 'remoteCache'>;

/**
 * What health warns about, as lines for a person: external tools running without a sandbox, and the daemon's own
 * files it cannot write (held in memory meanwhile). Empty when there is nothing to warn about. Every line is
 * escaped for the terminal: paths and messages come from the disk and the daemon.
 */
export function healthWarningLines(health: Health): string[] {
  const lines: string[] = [];
  const sandbox = health.toolSandbox;
  if (sandbox.warning) {
    lines.push(`warning: ${sandbox.warning}`);
    if (sandbox.hint) lines.push(`  hint: ${sandbox.hint}`);
  }
  if (health.storage?.state === 'degraded') {
    for (const warning of health.storage.warnings) {
      const held = [
        warning.pending ? `${plural(warning.pending, 'record')} held in memory` : '',
        warning.dropped ? `${warning.dropped} lost` : '',
      ]
        .filter(Boolean)
        .join(', ');
      lines.push(
        `warning: storage degraded (${warning.store}): ${warning.message}${held ? ` (${held})` : ''}, since ${warning.since}`,
      );
    }
    lines.push(
      '  hint: free space (or fix permissions) under .packer/; the daemon retries by itself and the warning clears once writes go through',
    );
  }
  const remote = health.remoteCache;
  if (remote?.warning) {
    lines.push(
      `warning: ${remote.warning}${remote.since ? `, since ${remote.since}` : ''}${remote.pausedUntil ? ` (paused until ${remote.pausedUntil})` : ''}`,
    );
    if (remote.hint) lines.push(`  hint: ${remote.hint}`);
  }
  return lines.map(terminalText);
}
