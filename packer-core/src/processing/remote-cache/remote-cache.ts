import type { ProjectConfig } from '../../contract/config-schema.js';
import type { RemoteCacheHealth } from '../../contract/methods.js';
import { CacheHttp, ConnectionError, StatusError } from './cache-http.js';
import { BREAKER_PAUSE_MS, BREAKER_THRESHOLD, CircuitBreaker } from './circuit-breaker.js';
import { redactUrl, Redactor } from './redact.js';

export type RemoteCacheConfig = NonNullable<ProjectConfig['remoteCache']>;

/** Requests in flight at once: downloads and uploads share these sockets (`PACKER_REMOTE_CACHE_CONCURRENCY`). */
export const DEFAULT_REMOTE_CONCURRENCY = 16;

/**
 * One project's remote cache, kept across builds (its breaker and health outlive a build): the HTTP transport,
 * the breaker, the redactor every message goes through, and the state `daemon.health` reports.
 */
export class RemoteCache {
  readonly http: CacheHttp;
  readonly breaker = new CircuitBreaker();
  readonly redactor: Redactor;
  /** The URL without credentials: the only form of it that is ever shown. */
  readonly displayUrl: string;
  readonly concurrency: number;
  private lastState: 'unused' | 'ok' | 'degraded' = 'unused';
  private problem: { message: string; since: string } | undefined;

  constructor(
    readonly config: RemoteCacheConfig,
    concurrency = concurrencyFromEnv(),
  ) {
    this.concurrency = concurrency;
    this.http = new CacheHttp({ url: config.url, headers: config.headers, timeoutMs: config.timeoutMs, concurrency });
    this.redactor = new Redactor(config.url, config.headers);
    this.displayUrl = redactUrl(config.url);
  }

  get mode(): RemoteCacheConfig['mode'] {
    return this.config.mode;
  }

  /** A request went through: the cache is healthy again. */
  succeeded(): void {
    // A reply that was already on its way when the breaker opened does not end the pause.
    if (this.breaker.paused) return;
    this.breaker.success();
    this.lastState = 'ok';
    this.problem = undefined;
  }

  /**
   * A request failed. Connection errors and 5xx count toward the breaker; returns the redacted message and
   * whether this failure paused the cache.
   */
  failed(error: unknown): { message: string; paused: boolean } {
    const message = this.redactor.text(error instanceof Error ? error.message : String(error));
    const countsForBreaker = error instanceof ConnectionError || (error instanceof StatusError && error.status >= 500);
    const paused = countsForBreaker ? this.breaker.failure() : false;
    this.lastState = 'degraded';
    this.problem = { message, since: this.problem?.since ?? new Date().toISOString() };
    return { message, paused };
  }

  /** What `daemon.health` says about the cache: a `degraded` or `paused` state carries the `remote-cache` warning. */
  health(): RemoteCacheHealth {
    const pausedUntil = this.breaker.pausedUntil;
    const state = pausedUntil !== undefined ? 'paused' : this.lastState;
    const health: RemoteCacheHealth = { url: this.displayUrl, mode: this.mode, state };
    if (state !== 'ok' && state !== 'unused' && this.problem) {
      health.warning = `remote-cache: ${this.displayUrl}: ${this.problem.message}`;
      health.hint =
        pausedUntil !== undefined
          ? `Requests pause for ${BREAKER_PAUSE_MS / 1000} s after ${BREAKER_THRESHOLD} consecutive connection errors or 5xx; builds meanwhile run locally. Check that the server is up and reachable.`
          : 'Builds run locally meanwhile. Check the server, its URL and credentials (remoteCache in packer.json, PACKER_REMOTE_CACHE*).';
      health.since = this.problem.since;
    }
    if (pausedUntil !== undefined) health.pausedUntil = new Date(pausedUntil).toISOString();
    return health;
  }

  close(): void {
    this.http.close();
  }
}

const instances = new Map<string, RemoteCache>();

/**
 * The remote cache of a project for its current config (undefined when none is configured). The same instance
 * serves every build until the config changes, so the breaker and health carry over from one build to the next.
 */
export function remoteCacheFor(projectRoot: string, config: ProjectConfig['remoteCache']): RemoteCache | undefined {
  const current = instances.get(projectRoot);
  if (current && config && sameConfig(current.config, config)) return current;
  current?.close();
  instances.delete(projectRoot);
  if (!config) return undefined;
  const created = new RemoteCache(config);
  instances.set(projectRoot, created);
  return created;
}

/** The health of a project's remote cache, when one is configured (`daemon.health`). */
export function remoteCacheHealth(
  projectRoot: string,
  config: ProjectConfig['remoteCache'],
): RemoteCacheHealth | undefined {
  return config ? remoteCacheFor(projectRoot, config)?.health() : undefined;
}

function sameConfig(a: RemoteCacheConfig, b: RemoteCacheConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function concurrencyFromEnv(): number {
  const value = Number(process.env.PACKER_REMOTE_CACHE_CONCURRENCY);
  return Number.isSafeInteger(value) && value > 0 ? value : DEFAULT_REMOTE_CONCURRENCY;
}
