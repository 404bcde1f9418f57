#!/usr/bin/env node
// Prints a project's navigator tree, then follows its activity feed live until Ctrl-C.
//   node studio-adapter/examples/navigator.mjs <project dir>
// Starts the project's daemon if none is running (it stays up afterwards, like after any packer command).
// Everything shown is the packer's: the tree is `navigatorRows(snapshot)`, badges are the packer's status and
// worst severity, counts are `snapshot.summary`, and an operation's outcome appears only with its terminal event.
import { connectProject } from '@packer/studio-adapter';

const dir = process.argv[2] ?? process.cwd();
const session = await connectProject(dir, { client: 'studio-example' });

const header = session.summary;
console.log(`${header.projectName} @ revision ${header.revision} (${session.state})`);
for (const row of session.navigator()) {
  const indent = '  '.repeat(row.depth);
  if (row.type === 'folder') console.log(`${indent}${row.name}/`);
  else console.log(`${indent}${row.name}${row.badges.length ? `  [${row.badges.join(', ')}]` : ''}`);
}
const { summary } = header;
console.log(
  `\n${summary.assets} assets, ${summary.untracked} untracked, ${summary.missing} missing; ${summary.blockers} blockers, ${summary.warnings} warnings`,
);
console.log('Following activity (Ctrl-C to stop)…\n');

session.on('state', (state) => console.log(`· session ${state}`));
session.on('snapshot', (next) =>
  console.log(
    `· snapshot revision ${next.revision} (${next.summary.assets} assets, divergence ${next.divergence.length})`,
  ),
);

// Print each operation when its status changes, and its progress at most every 250 ms.
const printed = new Map();
session.on('activity', (feed) => {
  for (const row of feed.rows) {
    const last = printed.get(row.operationId);
    const now = Date.now();
    const statusChanged = last?.status !== row.status;
    if (!statusChanged && (row.status !== 'running' || now - last.at < 250 || last.done === row.progress?.done))
      continue;
    printed.set(row.operationId, { status: row.status, at: now, done: row.progress?.done });
    const progress = row.progress
      ? ` ${row.progress.done}${row.progress.total !== undefined ? `/${row.progress.total}` : ''}${row.progress.current ? ` ${row.progress.current}` : ''}`
      : '';
    const outcome =
      row.outcome?.type === 'failed'
        ? ` — ${row.outcome.error.code}: ${row.outcome.error.message}`
        : row.outcome?.type === 'cancelled'
          ? ` — ${row.outcome.reason}`
          : '';
    console.log(
      `${row.operationId} ${row.kind ?? '?'} ${row.status}${progress}${outcome}${row.summary ? `  (${row.summary})` : ''}`,
    );
  }
});

process.once('SIGINT', () => {
  void session.close().then(() => process.exit(0));
});
