import type { Mutation } from '@packer/core/contract';

/** One line for people about a mutation, for operation lists and activity feeds. */
export function describeMutation(mutation: Mutation): string {
  switch (mutation.type) {
    case 'register':
      return `register ${mutation.paths.join(', ')}`;
    case 'move':
      return `move ${mutation.from} → ${mutation.to}`;
    case 'remove':
      return `remove ${mutation.targets.join(', ')}${mutation.deleteFiles ? ' (delete files)' : ''}`;
    case 'update':
      return `update ${mutation.target}`;
    case 'reconcile':
      return `reconcile${mutation.include ? ` (${mutation.include.join(', ')})` : ''}`;
    case 'relink':
      return `relink ${mutation.from} → ${mutation.to}`;
  }
}
