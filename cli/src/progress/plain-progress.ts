import { terminalText as t } from '../render/terminal-text.js';
import { remoteLine, type OperationViewState } from './operation-state.js';

/**
 * Progress as plain lines (no TTY, or CI): lifecycle changes, at most one progress line per `intervalMs`,
 * warnings as they arrive, and the final line. No escape codes.
 */
export class PlainProgress {
  private lastPhase: OperationViewState['phase'] | undefined;
  private lastLineAt = 0;
  private warningsShown = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly intervalMs = 1000,
  ) {}

  update(state: OperationViewState, now = Date.now()): void {
    if (state.phase !== this.lastPhase) {
      this.lastPhase = state.phase;
      if (state.phase === 'queued') this.write(t(`queued: ${state.kind ?? ''} ${state.summary ?? ''}`.trimEnd()));
      if (state.phase === 'running') this.write(t(`started: ${state.kind ?? ''}`.trimEnd()));
      if (
        state.finalMessage &&
        (state.phase === 'completed' || state.phase === 'failed' || state.phase === 'cancelled')
      )
        this.write(t(state.finalMessage));
    }
    for (const warning of state.warnings.slice(this.warningsShown))
      this.write(t(`warning: ${warning.code} ${warning.message}`));
    this.warningsShown = state.warnings.length;
    if (state.phase === 'running' && state.progressEvents > 0 && now - this.lastLineAt >= this.intervalMs) {
      this.lastLineAt = now;
      const counts = Object.entries(state.counts)
        .map(([name, count]) => `${name} ${count}`)
        .join(', ');
      this.write(
        t(
          `progress: ${state.done}${state.total !== undefined ? `/${state.total}` : ''}${counts ? ` (${counts})` : ''}${state.current ? ` ${state.current}` : ''}`,
        ),
      );
      if (state.remote) this.write(t(`  ${remoteLine(state.remote)}`));
    }
  }
}
