import { z } from 'zod';

/** The watcher's state, as health reports it. */
export const WatcherState = z.object({
  backend: z.string(),
  state: z.enum(['starting', 'ok', 'degraded', 'off']),
  reason: z.string().optional(),
  hint: z.string().optional(),
  /**
   * What outside changes are held back for: the version-control lock (`.git/index.lock`, `.hg/wlock`), or a burst
   * big enough to have overflowed the kernel's watch queue. They, and synced reads, settle in one rescan once the
   * lock is gone or the burst is quiet (or after 10 s). Absent when nothing is held.
   */
  heldBy: z.string().optional(),
});

/** A file under `.packer/` the daemon cannot write (a full disk, say): what it holds back and since when. */
export const StorageWarning = z.object({
  /** What the file is for: `event-log`, `digest-cache`, `audit-log`, `idempotency`, `daemon-log`, `revision`,
   * `output-cache` (the build cache's index) or `background`. */
  store: z.string(),
  /** The file that could not be written. */
  path: z.string(),
  /** The system error, e.g. `ENOSPC`. */
  errno: z.string().optional(),
  message: z.string(),
  /** When the writes began to fail (ISO time). */
  since: z.string(),
  /** Records kept in memory until the file takes them again. */
  pending: z.number().int().optional(),
  /** Records given up on since the trouble began. */
  dropped: z.number().int().optional(),
});
export type StorageWarning = z.infer<typeof StorageWarning>;

/** How external tools are isolated, as health reports it. */
export const ToolSandboxState = z.object({
  /** `bubblewrap`: tools run in it (no network, no other process, only their input and output folder); `none`: only
   * with a scrubbed environment. */
  backend: z.enum(['bubblewrap', 'none']),
  /** bubblewrap's version, when it is used. */
  version: z.string().optional(),
  /** Names the missing sandbox and the tools running without one; absent when every tool is sandboxed. */
  warning: z.string().optional(),
  hint: z.string().optional(),
});
export type ToolSandboxState = z.infer<typeof ToolSandboxState>;

/** The remote cache as health reports it (`remoteCache` in packer.json); never carries credentials. */
export const RemoteCacheHealth = z.object({
  /** The cache's URL, credentials removed. */
  url: z.string(),
  mode: z.enum(['read-write', 'read-only']),
  /** `unused`: no build asked it yet; `ok`: the last request went through; `degraded`: the last one failed; `paused`:
   * the breaker holds requests back. */
  state: z.enum(['unused', 'ok', 'degraded', 'paused']),
  /** The last problem (redacted), while not `ok`: the `remote-cache` warning. */
  warning: z.string().optional(),
  hint: z.string().optional(),
  /** When the trouble began (ISO time). */
  since: z.string().optional(),
  /** While `paused`: when requests resume (ISO time). */
  pausedUntil: z.string().optional(),
});
export type RemoteCacheHealth = z.infer<typeof RemoteCacheHealth>;
