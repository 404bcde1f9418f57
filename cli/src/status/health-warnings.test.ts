import { describe, expect, it } from 'vitest';
import { healthWarningLines } from './health-warnings.js';

describe('healthWarningLines', () => {
  it('is empty for a sandboxed daemon whose files all write', () => {
    expect(
      healthWarningLines({
        toolSandbox: { backend: 'bubblewrap', version: '0.8.0' },
        storage: { state: 'ok', warnings: [] },
      }),
    ).toEqual([]);
  });

  it('names the missing sandbox and each degraded store, one escaped line each', () => {
    const lines = healthWarningLines({
      toolSandbox: {
        backend: 'none',
        warning: 'No sandbox for external tools: bwrap is missing.',
        hint: 'Install bubblewrap.',
      },
      storage: {
        state: 'degraded',
        warnings: [
          {
            store: 'event-log',
            path: '/p/.packer/events/1.ndjson',
            errno: 'ENOSPC',
            message: 'Could not write /p/.packer/events/1.ndjson: ENOSPC',
            since: '2025-01-01T00:00:00.000Z',
            pending: 3,
            dropped: 2,
          },
          // A project path can hold anything a file name can: it must not drive the terminal.
          {
            store: 'revision',
            path: '/p\u001b[2J\n/.packer/revision',
            message: 'Could not write /p\u001b[2J\n/.packer/revision: EISDIR',
            since: '2025-01-01T00:00:01.000Z',
          },
        ],
      },
    });
    expect(lines).toEqual([
      'warning: No sandbox for external tools: bwrap is missing.',
      '  hint: Install bubblewrap.',
      'warning: storage degraded (event-log): Could not write /p/.packer/events/1.ndjson: ENOSPC (3 records held in memory, 2 lost), since 2025-01-01T00:00:00.000Z',
      'warning: storage degraded (revision): Could not write /p\\x1B[2J\\n/.packer/revision: EISDIR, since 2025-01-01T00:00:01.000Z',
      expect.stringMatching(/^ {2}hint: free space/),
    ]);
  });
});
