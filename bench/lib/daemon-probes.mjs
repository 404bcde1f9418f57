// Probes of a running daemon through @packer/client: read latency and throughput, event fan-out, watch
// latency, memory. Each takes connected clients (or a `connect(name)` factory) and returns raw samples.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const LONG_OPERATION_EVENTS = 200_000;
export const FAN_OUT_EVENTS = 20_000;
export const THROUGHPUT_CLIENTS = [1, 8, 32];
export const FAN_OUT_SUBSCRIBERS = [0, 1, 16];
const WATCH_PREFIX = 'bench-watch-';
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export function processMemory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
  } catch {
    return { rssKb: Number.NaN, hwmKb: Number.NaN };
  }
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function until(predicate, { timeoutMs, intervalMs = 20, what }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Times one call; returns milliseconds. */
async function timed(call) {
  const started = performance.now();
  await call();
  return performance.now() - started;
}

/** The two reads measured everywhere: the precomputed summary, and one asset by id (rotating through `refs`). */
function reads(client, refs) {
  let next = 0;
  return {
    summary: () => client.call('snapshot.summary', {}),
    asset: () => client.call('assets.get', { ref: refs[next++ % refs.length] }),
  };
}

/** Polls an operation until it ends; returns its OperationInfo. */
function waitForOperation(client, operationId, timeoutMs = 300_000) {
  return until(
    async () => {
      const info = await client.call('operations.get', { operationId });
      return TERMINAL.has(info.state) ? info : undefined;
    },
    { timeoutMs, intervalMs: 50, what: `operation ${operationId} to end` },
  );
}

export async function measureLatency(client, refs, { samples, whileRunning }) {
  const read = reads(client, refs);
  const summary = [];
  const asset = [];
  while (summary.length < samples || asset.length < samples) {
    if (whileRunning && !whileRunning()) break;
    if (summary.length < samples) summary.push(await timed(read.summary));
    if (asset.length < samples) asset.push(await timed(read.asset));
  }
  return { summary, asset };
}

/** Latency of both reads while a long lane operation emits progress events. */
export async function latencyUnderLoad(connect, main, refs, samples, longOperation) {
  const probe = await connect('bench-probe');
  try {
    const operationId = await longOperation(LONG_OPERATION_EVENTS);
    let running = true;
    const watching = waitForOperation(probe, operationId).finally(() => (running = false));
    const latency = await measureLatency(main, refs, { samples, whileRunning: () => running });
    const info = await watching;
    return {
      ...latency,
      operationMs: Date.parse(info.endedAt) - Date.parse(info.startedAt),
      operationState: info.state,
    };
  } finally {
    await probe.close();
  }
}

export async function throughput(connect, refs, clients, total) {
  const connected = await Promise.all(Array.from({ length: clients }, (_, index) => connect(`bench-reader-${index}`)));
  try {
    const perClient = Math.ceil(total / clients);
    const started = performance.now();
    await Promise.all(
      connected.map(async (client, index) => {
        const read = reads(client, refs.slice(index).concat(refs.slice(0, index)));
        for (let request = 0; request < perClient; request++) await (request % 2 === 0 ? read.summary() : read.asset());
      }),
    );
    const elapsed = performance.now() - started;
    return { clients, requests: perClient * clients, ms: elapsed, perSecond: (perClient * clients * 1000) / elapsed };
  } finally {
    await Promise.all(connected.map((client) => client.close()));
  }
}

/** Starts an operation of FAN_OUT_EVENTS progress events and counts what each of `subscribers` clients receives. */
export async function fanOut(connect, main, subscribers, longOperation) {
  const clients = await Promise.all(
    Array.from({ length: subscribers }, (_, index) => connect(`bench-subscriber-${index}`)),
  );
  const seen = clients.map(() => ({ byOperation: new Map(), ended: new Map() }));
  try {
    const subscriptions = await Promise.all(
      clients.map((client, index) =>
        client.subscribe({
          onEvent(event) {
            if (!event.operationId) return;
            const mine = seen[index];
            mine.byOperation.set(event.operationId, (mine.byOperation.get(event.operationId) ?? 0) + 1);
            if (TERMINAL.has(event.type)) mine.ended.set(event.operationId, performance.now());
          },
        }),
      ),
    );
    const started = performance.now();
    const operationId = await longOperation(FAN_OUT_EVENTS);
    const info = await waitForOperation(main, operationId);
    // The recorded arrival times, not this poll, give the delivery time.
    await until(() => seen.every((mine) => mine.ended.has(operationId)), {
      timeoutMs: 60_000,
      intervalMs: 5,
      what: `every subscriber to see the end of ${operationId}`,
    });
    const counts = seen.map((mine) => mine.byOperation.get(operationId) ?? 0);
    const lastEnd = Math.max(started, ...seen.map((mine) => mine.ended.get(operationId)));
    await Promise.all(subscriptions.map((subscription) => subscription.close()));
    return {
      subscribers,
      laneMs: Date.parse(info.endedAt) - Date.parse(info.startedAt),
      deliveredMs: lastEnd - started,
      minEvents: counts.length > 0 ? Math.min(...counts) : Number.NaN,
      maxEvents: counts.length > 0 ? Math.max(...counts) : Number.NaN,
      totalEvents: counts.reduce((sum, value) => sum + value, 0),
    };
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

/** Writes new files under assets/ one at a time; times each until a state event names a newer revision. */
export async function watchLatency(connect, root, changes) {
  const client = await connect('bench-watcher');
  let revision = (await client.call('snapshot.summary', {})).revision;
  let pending;
  const subscription = await client.subscribe({
    onEvent(event) {
      if (event.type !== 'snapshot.changed' && event.type !== 'divergence.detected') return;
      if (event.payload.revision <= revision) return;
      revision = event.payload.revision;
      pending?.(event);
    },
  });
  const latencies = [];
  let timeouts = 0;
  try {
    for (let change = 0; change < changes; change++) {
      const arrived = new Promise((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 10_000);
        pending = (event) => {
          clearTimeout(timer);
          resolve(event);
        };
      });
      const started = performance.now();
      writeFileSync(path.join(root, 'assets', `${WATCH_PREFIX}${change}.txt`), `bench change ${change}\n`);
      const event = await arrived;
      pending = undefined;
      if (event) latencies.push(performance.now() - started);
      else timeouts++;
    }
  } finally {
    await subscription.close();
    await client.close();
  }
  return { latencies, timeouts };
}

export async function shutdown(main, pid) {
  await main.call('daemon.shutdown', { reason: 'benchmark finished' }).catch(() => undefined);
  await main.close();
  await until(() => !isAlive(pid), { timeoutMs: 15_000, intervalMs: 25, what: `daemon pid ${pid} to exit` }).catch(() =>
    process.kill(pid, 'SIGTERM'),
  );
}

export function removeWatchFiles(root) {
  for (let change = 0; change < 1000; change++) {
    const file = path.join(root, 'assets', `${WATCH_PREFIX}${change}.txt`);
    if (!existsSync(file)) break;
    rmSync(file, { force: true });
  }
}

/**
 * Renames registered files outside the packer, one at a time, and times each until a state event names a newer
 * revision (the move is then in the snapshot as a `moved` divergence); each is renamed back before the next.
 */
export async function moveLatency(connect, root, paths, changes) {
  const client = await connect('bench-mover');
  let revision = (await client.call('snapshot.summary', {})).revision;
  let pending;
  const subscription = await client.subscribe({
    onEvent(event) {
      if (event.type !== 'snapshot.changed' || event.payload.revision <= revision) return;
      revision = event.payload.revision;
      pending?.();
    },
  });
  const next = () =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      pending = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  const latencies = [];
  let timeouts = 0;
  try {
    for (let change = 0; change < Math.min(changes, paths.length); change++) {
      const from = path.join(root, paths[change]);
      const to = `${from}.bench-moved`;
      let arrived = next();
      const started = performance.now();
      renameSync(from, to);
      if (await arrived) latencies.push(performance.now() - started);
      else timeouts++;
      arrived = next();
      renameSync(to, from);
      await arrived;
    }
  } finally {
    pending = undefined;
    await subscription.close();
    await client.close();
  }
  return { latencies, timeouts };
}
