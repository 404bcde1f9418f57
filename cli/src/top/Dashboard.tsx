import { Box, Text, useApp, useInput } from 'ink';
import type { EventEnvelope, MethodResult, OperationInfo } from '@packer/core/contract';
import { ProgressBar } from '../progress/ProgressBar.js';
import { renderEventLine } from '../render/render-event.js';
import { terminalText as t } from '../render/terminal-text.js';

export interface DashboardProps {
  projectName: string;
  summary: MethodResult<'snapshot.summary'> | undefined;
  health: MethodResult<'daemon.health'> | undefined;
  operations: OperationInfo[];
  recent: EventEnvelope[];
  /** The connection to the daemon dropped (a restart, say) and `packer top` is waiting to reconnect. */
  reconnecting?: boolean;
  onQuit?: () => void;
}

/** `packer top`: the daemon's running and queued operations, recent events, diagnostics and revision. */
export function Dashboard({ projectName, summary, health, operations, recent, reconnecting, onQuit }: DashboardProps) {
  const { exit } = useApp();
  useInput((input) => {
    if (input === 'q') {
      onQuit?.();
      exit();
    }
  });
  const active = operations.filter((op) => op.state === 'running' || op.state === 'queued');
  const finished = operations.filter((op) => op.state !== 'running' && op.state !== 'queued').slice(-5);
  const s = summary?.summary;
  return (
    <Box flexDirection="column">
      <Text bold>
        packer top — {t(projectName)}
        {'  '}revision {summary?.revision ?? '…'}
        {'  '}
        {health ? `pid ${health.pid} · lane ${health.laneDepth} · watcher ${t(health.watcher.state)}` : ''}
      </Text>
      {reconnecting ? (
        <Text color="yellow">daemon restarting… waiting to reconnect (what follows is as of the last event seen)</Text>
      ) : null}
      {s ? (
        <Text>
          assets {s.assets} · missing {s.missing} · untracked {s.untracked} ·{' '}
          <Text color={s.blockers ? 'red' : 'green'}>blockers {s.blockers}</Text> · warnings {s.warnings}
        </Text>
      ) : null}
      <Text underline>operations</Text>
      {active.length === 0 ? <Text color="gray">{'  idle'}</Text> : null}
      {active.map((op) => (
        <Text key={op.operationId}>
          {'  '}
          <Text color={op.state === 'running' ? 'cyan' : 'yellow'}>{op.state.padEnd(8)}</Text> {t(op.summary)}{' '}
          {op.state === 'running' ? (
            <ProgressBar done={op.progress?.done ?? 0} total={op.progress?.total} width={20} />
          ) : null}
          {op.progress ? ` ${op.progress.done}${op.progress.total !== undefined ? `/${op.progress.total}` : ''}` : ''}
        </Text>
      ))}
      {finished.map((op) => (
        <Text
          key={op.operationId}
          color={op.state === 'completed' ? 'green' : op.state === 'failed' ? 'red' : 'yellow'}
        >
          {'  '}
          {op.state.padEnd(8)} {t(op.summary)}
          {op.error ? ` — ${t(op.error.code)}` : ''}
        </Text>
      ))}
      <Text underline>recent events</Text>
      {recent.slice(-8).map((event) => (
        <Text key={event.cursor} color="gray">
          {'  '}
          {renderEventLine(event)}
        </Text>
      ))}
      <Text color="gray">q quits</Text>
    </Box>
  );
}
