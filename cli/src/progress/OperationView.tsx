import { Box, Text } from 'ink';
import { ProgressBar } from './ProgressBar.js';
import type { OperationViewState } from './operation-state.js';

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
  const counts = Object.entries(state.counts).map(([name, count]) => `${name} ${count}`).join(' · ');
  return (
    <Box flexDirection="column">
      <Text>
        <Text color={PHASE_COLOR[state.phase]}>{state.phase.padEnd(9)}</Text> {state.kind ?? 'operation'} {state.summary ? `— ${state.summary}` : ''}
      </Text>
      {state.phase !== 'waiting' && state.phase !== 'queued' ? (
        <Text>
          <ProgressBar done={state.done} total={state.total} /> {state.done}
          {state.total !== undefined ? `/${state.total}` : ''}
          {state.rate !== undefined ? ` · ${state.rate.toFixed(state.rate < 10 ? 1 : 0)}/s` : ''}
          {counts ? ` · ${counts}` : ''}
        </Text>
      ) : null}
      {state.current && state.phase === 'running' ? <Text color="gray">  {state.current}</Text> : null}
      {state.warnings.slice(-5).map((warning, index) => (
        <Text key={index} color="yellow">
          {'  '}! {warning.code} {warning.message}
        </Text>
      ))}
      {state.finalMessage ? <Text color={PHASE_COLOR[state.phase]}>{state.finalMessage}</Text> : null}
    </Box>
  );
}
