import { Text } from 'ink';

export interface ProgressBarProps {
  done: number;
  total?: number | undefined;
  width?: number;
}

/** A bar for a known total; an indeterminate marker otherwise. */
export function ProgressBar({ done, total, width = 30 }: ProgressBarProps) {
  if (!total) return <Text color="gray">[{'·'.repeat(width)}]</Text>;
  const ratio = Math.max(0, Math.min(1, done / total));
  const filled = Math.round(ratio * width);
  return (
    <Text>
      [<Text color="green">{'█'.repeat(filled)}</Text>
      <Text color="gray">{'░'.repeat(width - filled)}</Text>] {Math.round(ratio * 100)}%
    </Text>
  );
}
