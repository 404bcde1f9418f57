import { Box, Text } from 'ink';
import { terminalText as t } from '../render/terminal-text.js';
import { ProgressBar } from './ProgressBar.js';
import { remoteLine, type OperationViewState } from './operation-state.js';

export interface OperationViewProps {
  state: OperationViewState;
}

const PHASE_COLOR: Record<OperationViewState['phase'], string> = {
  waiting: 'gray',
  queued: 'yellow',
  running: 'cyan',
  completed: 'green',
  failed: 'red',
  cancelled: 'yellow',
};

/** Live view of one operation: lifecycle, bar with counts and rate, current item, warnings, final line. */
export function OperationView({ state }: OperationViewProps) {
  const counts = t(
    Object.entries(state.counts)
      .map(([name, count]) => `${name} ${count}`)
      .join(' · '),
  );
  return (
    <Box flexDirection="column">
      <Text>
        <Text color={PHASE_COLOR[state.phase]}>{state.phase.padEnd(9)}</Text> {t(state.kind ?? 'operation')}{' '}
        {state.summary ? `— ${t(state.summary)}` : ''}
      </Text>
      {state.phase !== 'waiting' && state.phase !== 'queued' ? (
        <Text>
          <ProgressBar done={state.done} total={state.total} /> {state.done}
          {state.total !== undefined ? `/${state.total}` : ''}
          {state.rate !== undefined ? ` · ${state.rate.toFixed(state.rate < 10 ? 1 : 0)}/s` : ''}
          {counts ? ` · ${counts}` : ''}
        </Text>
      ) : null}
      {state.remote ? (
        <Text color={state.remote.state === 'ok' ? undefined : 'yellow'}>
          {'  '}
          {t(remoteLine(state.remote))}
        </Text>
      ) : null}
      {state.current && state.phase === 'running' ? (
        <Text color="gray">
          {'  '}
          {t(state.current)}
        </Text>
      ) : null}
      {state.warnings.slice(-5).map((warning, index) => (
        <Text key={index} color="yellow">
          {'  '}! {t(warning.code)} {t(warning.message)}
        </Text>
      ))}
      {state.finalMessage ? <Text color={PHASE_COLOR[state.phase]}>{t(state.finalMessage)}</Text> : null}
    </Box>
  );
}
