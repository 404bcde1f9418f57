import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProjectConfig } from '../contract/config-schema.js';
import type { Diagnostic } from '../contract/diagnostics.js';
import { PackerError, toPackerError } from '../contract/errors.js';
import { Mutation, type Actor, type ApplyResult, type AuditRecord, type Plan } from '../contract/mutation-schema.js';
import type { PackBuildInfo, Snapshot } from '../contract/snapshot-schema.js';
import type { StorageWarning } from '../contract/methods.js';
import { AuditLog } from '../audit/audit-log.js';
import { boundedAuditRecord } from '../audit/audit-record.js';
import {
  afterCommitProblem,
  isSimulatedCrash,
  runCommit,
  recoverJournal,
  type CommitHook,
  type CommitTarget,
} from '../commit/commit-journal.js';
import { isOperationId } from '../commit/journal-schema.js';
import { withRollbackHint } from '../mutations/apply-failure-hint.js';
import { JournalFile, journalRegistry, journalSteps, type Journal } from '../commit/journal-file.js';
import { issueField } from '../config/json-file.js';
import { loadConfig } from '../config/load-config.js';
import { newOperationId } from '../ids/asset-id.js';
import { planMutation } from '../mutations/plan-mutation.js';
import { netRegistryChange, RegistryStore, type StagedRegistry } from '../registry/registry-store.js';
import { RegistryLoadCache } from '../registry/registry-load-cache.js';
import { WorkspaceObserver } from './workspace-observer.js';
import { outputCacheProblem } from '../processing/output-cache-health.js';
import type { SnapshotState } from '../snapshot/snapshot-state.js';
import { hashMutation, IdempotencyStore } from './idempotency-store.js';
import { pathsChangedOnDisk, pathsToReobserve } from './touched-paths.js';
import { normalizeProjectPath } from '../paths/project-path.js';
import { withRegistryWriteCheck } from './registry-write-access.js';
import { RecentPreviews } from './recent-previews.js';
import { planChanges } from '../mutations/plan-changes.js';
import { turnEventLoop } from './turn-event-loop.js';

export interface WorkspaceOptions {
  /** Environment for `PACKER_*` overrides (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Failure-injection hook run between commit steps (tests only). */
  commitHook?: CommitHook;
  /** Who is acting, for audit records, unless an apply names its own actor. */
  actor?: Actor;
  /**
   * Awaited after the registry is loaded and before the disk is scanned: a daemon passes its watch subscription,
   * so every folder is watched before the scan reads it and no change falls between the two.
   */
  beforeScan?: Promise<unknown>;
}

export interface ApplyCallOptions {
  expectedRevision?: number | undefined;
  idempotencyKey?: string | undefined;
  operationId?: string | undefined;
  actor?: Actor | undefined;
  /** Aborting before the commit point cancels the apply (CANCELLED); after it, the commit completes. */
  signal?: AbortSignal | undefined;
  /**
   * The plan the caller previewed (a daemon keeps it under its plan id). When the revision moved on since
   * `expectedRevision`, the apply goes ahead if the mutation re-planned now does the same thing, and refuses with
   * CONFLICT naming what changed otherwise. Without it, the workspace's own recent previews stand in.
   */
  previewed?: Plan | undefined;
}

/**
 * One project's packer: config, registry, observations and the current immutable snapshot, with preview and
 * apply for every mutation. The single owner of asset semantics; the daemon wraps it, never re-implements it.
 */
export class Workspace {
  readonly stateDir: string;
  readonly audit: AuditLog;
  private readonly registry: RegistryStore;
  private readonly journal: JournalFile;
  private readonly idempotency: IdempotencyStore;
  private readonly observer: WorkspaceObserver;
  private readonly previews = new RecentPreviews();
  private queue: Promise<unknown> = Promise.resolve();
  /** Set while an invalid crash journal sits in `.packer/`: the project is read-only until a person removes it. */
  private journalProblem: PackerError | undefined;
  private registryCacheTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly root: string,
    private readonly options: WorkspaceOptions,
    observer: WorkspaceObserver,
  ) {
    this.stateDir = path.join(root, '.packer');
    this.audit = new AuditLog(this.stateDir);
    this.registry = new RegistryStore(
      root,
      () => this.config.registry.shards,
      new RegistryLoadCache(this.stateDir, root),
    );
    this.journal = new JournalFile(this.stateDir);
    this.idempotency = new IdempotencyStore(this.stateDir);
    this.observer = observer;
  }

  /** Validates config, recovers any crashed commit, scans, hashes registered files (cached) and builds revision 1+. */
  static async open(projectRoot: string, options: WorkspaceOptions = {}): Promise<Workspace> {
    const root = path.resolve(projectRoot);
    const config = loadConfig(root, options.env ?? process.env);
    const stateDir = path.join(root, '.packer');
    mkdirSync(stateDir, { recursive: true });
    const observer = new WorkspaceObserver(root, stateDir, config);
    const workspace = new Workspace(root, options, observer);
    const recovery = await recoverJournal(workspace.commitTarget(), config.assetRoots);
    // An invalid journal is not executed and does not stop the open: reads work, writes refuse with INVALID_JOURNAL.
    if (recovery.outcome === 'invalid') workspace.journalProblem = recovery.error;
    // Between the open's long steps (and within the longest ones, see runStepsInSlices) the event loop turns: a
    // daemon answers hello and health while it opens (it is live before it is ready).
    const registry = await workspace.registry.loadInSlices();
    await turnEventLoop();
    // Digest rows are read while a daemon's watcher crawls: `.packer/` only, so no folder is read before its watch.
    observer.prepare(registry);
    await turnEventLoop();
    await options.beforeScan;
    await observer.initialize(registry, recovery.diagnostics);
    workspace.saveRegistryCacheSoon();
    return workspace;
  }

  /** The current immutable state (snapshot plus planning indexes). */
  get state(): SnapshotState {
    return this.observer.state;
  }

  get snapshot(): Snapshot {
    return this.observer.state.snapshot;
  }

  get config(): ProjectConfig {
    return this.observer.state.config;
  }

  /**
   * Pure preview against the current snapshot (plus whether the registry file may be replaced at all). A caller
   * that keeps its plans itself and passes them to `apply` as `previewed` (the daemon's plan store) says
   * `remember: false`, so no plan is held twice.
   */
  preview(input: unknown, options: { remember?: boolean } = {}): Plan {
    const mutation = parseMutation(input);
    const plan = withRegistryWriteCheck(this.planOnly(mutation), this.root, this.config.registry.shards);
    if (options.remember !== false) this.previews.remember(hashMutation(mutation), plan);
    return plan;
  }

  private planOnly(input: unknown): Plan {
    return planMutation(
      {
        state: this.state,
        projectRoot: this.root,
        registryVersion: this.registry.version,
        registryLayout: this.registry.layoutMigration(),
      },
      parseMutation(input),
    );
  }

  /**
   * Re-plans against the current state, refuses on blockers or a moved revision, then commits registry and
   * disk together through the journal. Serialised with every other write of this workspace.
   */
  async apply(input: unknown, options: ApplyCallOptions = {}): Promise<ApplyResult> {
    // async: bad input is reported as a rejection, never a synchronous throw a `.catch` would miss.
    const mutation = parseMutation(input);
    return this.exclusive(() => this.applyNow(mutation, options));
  }

  /** Re-observes paths (or everything) and publishes a new revision when anything changed. */
  refresh(paths?: readonly string[], cause = 'rescan'): Promise<{ changed: boolean; state: SnapshotState }> {
    return this.exclusive(async () => {
      const cleared = this.clearRemovedJournal();
      const result = await this.observer.refresh(paths, cause);
      return cleared ? { changed: true, state: result.state } : result;
    });
  }

  /** The invalid-journal problem that keeps this project read-only, if any. */
  get invalidJournal(): PackerError | undefined {
    return this.journalProblem;
  }

  /** Re-reads the registry file (changed outside, e.g. by git) and publishes a new revision if it differs. */
  reloadRegistry(): Promise<{ changed: boolean; state: SnapshotState }> {
    return this.exclusive(() => this.observer.reloadRegistry(this.registry.load())).finally(() =>
      this.saveRegistryCacheSoon(),
    );
  }

  /**
   * Re-validates `packer.json`; an invalid one is reported and the last good config stays in force. A caller whose
   * watcher keeps the scan current says `scanIsCurrent`, and the files are walked again only when the new config
   * walks differently (other roots, ignores, sidecars...).
   */
  reloadConfig(
    options: { scanIsCurrent?: boolean } = {},
  ): Promise<{ ok: true; state: SnapshotState } | { ok: false; error: PackerError }> {
    return this.exclusive(async () => {
      let config: ProjectConfig;
      try {
        config = loadConfig(this.root, this.options.env ?? process.env);
      } catch (error) {
        const packerError = toPackerError(error);
        await this.observer.setConfigProblem(packerError);
        return { ok: false as const, error: packerError };
      }
      return { ok: true as const, state: await this.observer.setConfig(config, options) };
    });
  }

  /** Records the last build of each pack so the snapshot can show it (used by builds). */
  recordBuilds(builds: readonly PackBuildInfo[], packDiagnostics?: readonly Diagnostic[]): Promise<SnapshotState> {
    return this.exclusive(() => this.observer.setLastBuilds(builds, packDiagnostics));
  }

  /** Digest of a registered file, hashing it if the cache is cold (used by builds). */
  digestOf(relativePath: string): Promise<string | undefined> {
    return this.observer.digestOf(relativePath);
  }

  /** Files under `.packer/` that could not be written (a full disk, say); what they hold stays in memory meanwhile. */
  storageWarnings(): StorageWarning[] {
    return [
      this.observer.digestWriteProblem,
      this.observer.revisionWriteProblem,
      this.audit.writeProblem,
      this.idempotency.writeProblem,
      outputCacheProblem(this.stateDir),
    ].filter((warning) => warning !== undefined);
  }

  /** Retries the writes behind `storageWarnings` (never throws); returns the warnings that remain. */
  retryPendingWrites(): StorageWarning[] {
    if (this.observer.digestWriteProblem) this.observer.save();
    this.observer.flushRevision();
    this.audit.flush();
    this.idempotency.flush();
    return this.storageWarnings();
  }

  /**
   * A commit or build just wrote to the project: the disk takes writes again (space was freed, say), so the writes a
   * full disk held back are retried now, and their warnings clear with the success the user just saw, not at the
   * daemon's next retry tick. Nothing to do (no file touched) while every store is healthy.
   */
  retryAfterWrites(): void {
    if (this.storageWarnings().length > 0) this.retryPendingWrites();
  }

  /** Flushes caches. */
  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    if (this.registryCacheTimer) clearTimeout(this.registryCacheTimer);
    this.registryCacheTimer = undefined;
    this.registry.saveLoadCache();
    await this.observer.close();
    await this.idempotency.close();
    this.observer.flushRevision();
  }

  /**
   * What the mutation's plan reads, to observe again before the plan that counts: the preview's, when it was made at
   * the current revision, else a first plan's. A method of its own so that first plan is garbage once its paths are
   * known: held by the async apply's frame it stayed alive through the commit (issue 11: memory under load).
   */
  private reobservedPaths(mutation: Mutation, previewed: Plan | undefined): string[] {
    const plan = previewed?.baseRevision === this.snapshot.revision ? previewed : this.planOnly(mutation);
    return [...pathsToReobserve(plan, mutation, this.state), ...mutationPaths(mutation, this.root)];
  }

  /**
   * The plan that commits, before the registry write check (which runs on the file modes of now): the preview itself
   * when it was made at this very revision, else the mutation planned now. At the preview's own revision the state is
   * the one it was planned against (re-observing what it reads would have moved the revision otherwise), so a re-plan
   * would be the same plan with other provisional ids: a second 100,000-entry plan in memory and ~0.5 s of planning
   * for a 100k add (issue 11). The ids the preview showed are then the ids registered.
   */
  private planAt(revision: number, mutation: Mutation, previewed: Plan | undefined): Plan {
    if (previewed?.baseRevision !== revision) return this.planOnly(mutation);
    const blockers = previewed.blockers.filter((blocker) => blocker.code !== 'REGISTRY_READ_ONLY');
    return blockers.length === previewed.blockers.length ? previewed : { ...previewed, blockers };
  }

  private async applyNow(mutation: Mutation, options: ApplyCallOptions): Promise<ApplyResult> {
    const operationId = options.operationId ?? newOperationId();
    // The operation id names the trash folder of a commit: only the packer's own shape is allowed.
    if (!isOperationId(operationId)) {
      throw new PackerError(
        'INVALID_PARAMS',
        `Invalid operation id ${JSON.stringify(operationId)}: expected op_ followed by 26 characters.`,
        { operationId },
      );
    }
    const actor = options.actor ?? this.options.actor ?? defaultActor();
    const mutationHash = hashMutation(mutation);
    let audited = false;
    let plan: Plan | undefined;
    const refuse = (result: AuditRecord['result'], error: PackerError, refusedPlan = plan): never => {
      audited = true;
      const revision = this.snapshot.revision;
      this.audit.append(auditRecord(operationId, actor, mutation, result, revision, revision, refusedPlan, error));
      throw error;
    };
    let prepared: { plan: Plan; journal: Journal; registry: StagedRegistry; result: ApplyResult };
    // Every way out before the commit point is a refusal, and every refusal is audited: the named ones through
    // `refuse`, anything else (a registry the store will not write, a state file that fails) by this catch.
    try {
      if (options.idempotencyKey) {
        const prior = this.idempotency.get(options.idempotencyKey);
        if (prior) {
          if (prior.mutationHash !== mutationHash) {
            refuse(
              'failed',
              new PackerError(
                'IDEMPOTENCY_MISMATCH',
                `Idempotency key "${options.idempotencyKey}" was already used for a different mutation.`,
                {
                  idempotencyKey: options.idempotencyKey,
                  hint: 'Use a fresh key for a new mutation.',
                },
              ),
            );
          }
          return { ...(prior.result as ApplyResult), replayed: true };
        }
      }
      this.clearRemovedJournal();
      if (this.journalProblem) {
        const problem = this.journalProblem;
        refuse(
          'failed',
          new PackerError('INVALID_JOURNAL', `The project is read-only: ${problem.message}`, { ...problem.data }),
        );
      }
      if (this.snapshot.registryState === 'read-only') {
        refuse(
          'failed',
          new PackerError('REGISTRY_READ_ONLY', 'The registry failed validation, so the packer will not write it.', {
            hint: 'Run `packer check` to see why, fix or restore packer.registry.json, then retry.',
          }),
        );
      }
      const previewed =
        options.previewed ??
        (options.expectedRevision === undefined
          ? undefined
          : this.previews.find(options.expectedRevision, mutationHash));
      // Re-observe everything the plan reads, so no apply rests on a stale view ("already validated" is never trusted).
      await this.observer.refresh(this.reobservedPaths(mutation, previewed), 'pre-apply');
      const revisionBefore = this.snapshot.revision;
      plan = withRegistryWriteCheck(
        this.planAt(revisionBefore, mutation, previewed),
        this.root,
        this.config.registry.shards,
      );
      if (options.expectedRevision !== undefined && options.expectedRevision !== revisionBefore) {
        // A moved revision is a conflict only when it changed what the plan does (a build recording its packs did not).
        const changes = previewed ? planChanges(previewed, plan) : undefined;
        if (!changes || changes.length > 0) {
          const what = changes
            ? `; the plan changed: ${changes[0]}${changes.length > 1 ? ` (and ${changes.length - 1} more)` : ''}`
            : '';
          refuse(
            'conflict',
            new PackerError(
              'CONFLICT',
              `The snapshot moved from revision ${options.expectedRevision} to ${revisionBefore} since the preview${what}.`,
              {
                expectedRevision: options.expectedRevision,
                currentRevision: revisionBefore,
                plan,
                ...(changes ? { changes } : {}),
                hint: 'Preview again and apply with the new revision.',
              },
            ),
          );
        }
      }
      // A registry nobody may replace refuses the apply as a whole, whatever else the plan says.
      const readOnly = plan.blockers.find((blocker) => blocker.code === 'REGISTRY_READ_ONLY');
      if (readOnly) {
        refuse(
          'blocked',
          new PackerError('REGISTRY_READ_ONLY', readOnly.message, {
            file: this.registry.file,
            blockers: plan.blockers,
            plan,
            hint: readOnly.hint,
          }),
        );
      }
      if (plan.blockers.length > 0) {
        refuse(
          'blocked',
          new PackerError(
            'BLOCKED',
            `The ${mutation.type} plan has ${plan.blockers.length} blocker(s): ${plan.blockers[0]!.message}`,
            {
              blockers: plan.blockers,
              plan,
            },
          ),
        );
      }
      if (options.signal?.aborted)
        refuse('failed', new PackerError('CANCELLED', 'The apply was cancelled before it committed.', { operationId }));
      const changes = plan.registryMutations.length + plan.filesystemMutations.length > 0;
      const revisionAfter = changes ? this.observer.peekNextRevision() : revisionBefore;
      const result: ApplyResult = { operationId, plan, revisionBefore, revisionAfter, replayed: false };
      const record = auditRecord(operationId, actor, mutation, 'applied', revisionBefore, revisionAfter, plan);
      const idempotency = options.idempotencyKey ? { key: options.idempotencyKey, mutationHash, result } : undefined;
      if (!changes) {
        this.recordCommitted({ audit: record, idempotency });
        return result;
      }
      // Checks the bytes (and the file's write bit) before anything happens; a refusal here is audited below.
      const staged = this.registry.stageChange(this.state.entries, netRegistryChange(plan.registryMutations));
      const journal: Journal = {
        ...journalRegistry(staged.files),
        operationId,
        state: 'pending',
        steps: journalSteps(operationId, this.journal, plan.filesystemMutations),
        audit: record,
        ...(idempotency ? { idempotency } : {}),
      };
      prepared = { plan, journal, registry: staged, result };
    } catch (error) {
      if (audited || isSimulatedCrash(error)) throw error;
      return refuse('failed', toPackerError(error));
    }
    const { journal, result } = prepared;
    const { revisionBefore } = result;
    let problems: Diagnostic[];
    try {
      problems = await runCommit(this.commitTarget(), journal, prepared.registry);
    } catch (error) {
      // A simulated crash must leave the disk as a real one would: no audit record, no registry reload.
      if (isSimulatedCrash(error)) throw error;
      const packerError = withRollbackHint(toPackerError(error));
      this.audit.append(
        auditRecord(operationId, actor, mutation, 'failed', revisionBefore, revisionBefore, prepared.plan, packerError),
      );
      await this.observer.reloadRegistry(this.registry.load());
      throw packerError;
    }
    // Past the commit point the change has happened: a failure from here on is a warning on a completed apply, never
    // a failed one (a person or script would retry it, applying the change twice).
    try {
      await this.observer.publishCommit(
        prepared.registry.load,
        pathsChangedOnDisk(prepared.plan),
        result.revisionAfter,
      );
    } catch (error) {
      if (isSimulatedCrash(error)) throw error;
      problems.push(afterCommitProblem(operationId, 'refreshing the snapshot', error));
      // Best effort: the snapshot catches up with the committed registry and files (a watcher batch or rescan would).
      await this.observer
        .reloadRegistry(this.registry.load())
        .then(() => this.observer.refresh(pathsChangedOnDisk(prepared.plan), 'after-commit'))
        .catch(() => undefined);
    }
    this.saveRegistryCacheSoon();
    this.retryAfterWrites();
    return problems.length > 0 ? { ...result, warnings: problems } : result;
  }

  /**
   * Records the registry files as loaded for the next open (see RegistryLoadCache) once the workspace has been quiet
   * a moment: never on the path of an open or a commit, and at most once a second.
   */
  private saveRegistryCacheSoon(): void {
    if (this.registryCacheTimer) return;
    this.registryCacheTimer = setTimeout(() => {
      void this.exclusive(async () => {
        this.registryCacheTimer = undefined;
        if (!this.registry.saveLoadCache()) this.saveRegistryCacheSoon();
      });
    }, 1000);
    this.registryCacheTimer.unref?.();
  }

  /** Once a person removed the invalid journal, the project is writable again (true when that just happened). */
  private clearRemovedJournal(): boolean {
    if (!this.journalProblem || this.journal.exists()) return false;
    this.journalProblem = undefined;
    this.observer.setRecoveryDiagnostics([]);
    return true;
  }

  private commitTarget(): CommitTarget {
    return {
      projectRoot: this.root,
      journal: this.journal,
      registry: this.registry,
      hook: this.options.commitHook,
      onCommitted: (journal) => this.recordCommitted(journal),
    };
  }

  private recordCommitted(journal: Pick<Journal, 'audit' | 'idempotency'>): void {
    this.audit.append(journal.audit);
    if (journal.idempotency)
      this.idempotency.set(journal.idempotency.key, journal.idempotency.mutationHash, journal.idempotency.result);
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Validates a mutation at the core's own edge: no caller "already validated earlier". */
export function parseMutation(input: unknown): Mutation {
  const parsed = Mutation.safeParse(input);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  throw new PackerError(
    'INVALID_PARAMS',
    `Invalid mutation: field "${first ? issueField(first) : '(root)'}" ${first?.message ?? 'is invalid'}.`,
    {
      issues: parsed.error.issues.map((issue) => ({ path: issueField(issue), message: issue.message })),
    },
  );
}

function mutationPaths(mutation: Mutation, root: string): string[] {
  const raw =
    mutation.type === 'register'
      ? mutation.paths
      : mutation.type === 'move' || mutation.type === 'relink'
        ? [mutation.from, mutation.to]
        : mutation.type === 'remove'
          ? mutation.targets
          : [];
  return raw.flatMap((item) => {
    try {
      return [normalizeProjectPath(item, root)];
    } catch {
      return [];
    }
  });
}

function defaultActor(): Actor {
  let user: string | undefined;
  try {
    user = os.userInfo().username;
  } catch {
    user = undefined;
  }
  return { client: 'packer-core', pid: process.pid, ...(user ? { user } : {}) };
}

function auditRecord(
  operationId: string,
  actor: Actor,
  mutation: Mutation,
  result: AuditRecord['result'],
  revisionBefore: number,
  revisionAfter: number,
  plan?: Plan,
  error?: PackerError,
): AuditRecord {
  // Bounded before the journal carries it: a 100,000-file add journals a record of a few KB, not the whole plan.
  return boundedAuditRecord({
    time: new Date().toISOString(),
    operationId,
    actor,
    scope: { type: mutation.type, mutation },
    result,
    revisionBefore,
    revisionAfter,
    ...(error ? { error: { code: error.code, message: error.message } } : {}),
    ...(plan && result === 'applied'
      ? { registryMutations: plan.registryMutations, filesystemMutations: plan.filesystemMutations }
      : {}),
  });
}

export type { Diagnostic };
