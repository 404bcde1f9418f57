// Checks a recovered daemon through its public methods: registry and journal validity, packs that verify or
// are reported, and the event log replayed from the last checked cursor (gap-free, one terminal per operation).
import { existsSync } from 'node:fs';
import path from 'node:path';

const INVALID_CODES = new Set(['INVALID_REGISTRY', 'INVALID_JOURNAL', 'RECOVERY_INCOMPLETE', 'SYMLINK_IN_PATH']);
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const seqOf = (cursor) => Number(String(cursor).split('.')[1]);

/** Why the recovered project is not a valid, writable one (empty when it is). */
export async function validityProblems(client, root) {
  const problems = [];
  const summary = await client.call('snapshot.summary', {});
  if (summary.registryState !== 'ok') problems.push(`registry state is ${summary.registryState}`);
  const diagnostics = await client.call('diagnostics.list', {});
  for (const item of diagnostics.items)
    if (INVALID_CODES.has(item.code)) problems.push(`${item.code}: ${item.message}`);
  if (existsSync(path.join(root, '.packer', 'journal.json'))) problems.push('a commit journal is left in .packer/');
  return problems;
}

/** Pack name → { exists, digest } from the manifests. */
export async function packDigests(client) {
  const { items } = await client.call('packs.list', {});
  return new Map(items.map((pack) => [pack.name, { exists: pack.exists, digest: pack.digest }]));
}

/**
 * Every pack either verifies or has a PACK_UNVERIFIED diagnostic naming it; a pack that existed before and is
 * gone now must be reported too. Also says whether the `bulk` pack changed (the build got through for it).
 */
export async function checkPacks(client, before) {
  const after = await packDigests(client);
  const diagnostics = (await client.call('diagnostics.list', { code: 'PACK_UNVERIFIED' })).items;
  const reportedNames = new Set(diagnostics.map((item) => /^Pack ([^:]+):/.exec(item.message)?.[1]).filter(Boolean));
  const reported = [];
  const unreported = [];
  for (const [name, pack] of after) {
    let bad;
    if (pack.exists) {
      const result = await client
        .call('packs.verify', { pack: name })
        .catch((error) => ({ ok: false, problem: { message: error.message } }));
      if (!result.ok) bad = `${name} (${result.problem?.section ?? 'error'}: ${result.problem?.message})`;
    } else if (before?.get(name)?.exists) bad = `${name} (gone since the build started)`;
    if (!bad) continue;
    (reportedNames.has(name) ? reported : unreported).push(bad);
  }
  return { reported, unreported, bulkChanged: after.get('bulk')?.digest !== before?.get('bulk')?.digest };
}

/**
 * Replays the log from the last checked cursor up to the newest one the restarted daemon announced: cursors
 * must be consecutive, and every operation queued in that stretch must have exactly one terminal event.
 * Moves the project's checked cursor forward.
 */
export async function checkEvents(project, kind) {
  const from = project.cursor;
  const client = await project.connect({ client: 'crash-campaign-replay' });
  const events = [];
  let expired;
  let gap;
  try {
    const target = seqOf(client.hello.cursor);
    let reached;
    const arrived = new Promise((resolve) => (reached = resolve));
    if (target <= seqOf(from)) reached();
    const subscription = await client.subscribe({
      since: from,
      onEvent(event) {
        events.push(event);
        if (seqOf(event.cursor) >= target) reached();
      },
      onExpired(info) {
        expired = info;
        reached();
      },
    });
    const timedOut = await Promise.race([
      arrived.then(() => false),
      new Promise((resolve) => setTimeout(() => resolve(true), 30_000)),
    ]);
    await subscription.close();
    if (expired) gap = `cursor ${from} expired: ${expired.message}`;
    else if (timedOut)
      gap = `replay from ${from} stopped at ${events.at(-1)?.cursor ?? from} before ${client.hello.cursor}`;
  } finally {
    await client.close();
  }
  let previous = seqOf(from);
  for (const event of events) {
    const seq = seqOf(event.cursor);
    if (seq !== previous + 1 && !gap) gap = `seq ${seq} follows ${previous}`;
    previous = seq;
  }
  if (events.length > 0) project.cursor = events.at(-1).cursor;

  const operations = new Map();
  for (const event of events) {
    if (!event.operationId) continue;
    const operation = operations.get(event.operationId) ?? { queued: undefined, terminals: [] };
    operations.set(event.operationId, operation);
    if (event.type === 'queued') operation.queued = event;
    if (TERMINAL.has(event.type)) operation.terminals.push(event);
  }
  const missingTerminal = [...operations]
    .filter(([, operation]) => (operation.queued && operation.terminals.length !== 1) || operation.terminals.length > 1)
    .map(([id, operation]) => `${id} (${operation.terminals.length} terminal events)`);
  const mine = [...operations.values()].filter((operation) => operation.queued?.payload?.kind === kind).at(-1);
  return { gap, missingTerminal, trialTerminal: mine?.terminals[0], events: events.length };
}
