import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import path from 'node:path';
import { isAssetId, PackerError } from '@packer/core/contract/runtime';
import type { ErrorCode } from '@packer/core/contract';
import { DaemonClient, findProjectRoot } from '@packer/daemon/client';
import { runsInProcess } from './run-mode.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof PackerCommand)['baseFlags'] & T['flags']>;
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/** Exit code for failures (usage errors exit 2 through oclif's exitCodes setting). */
export const EXIT_FAILURE = 1;

/**
 * What every packer command shares: `-C/--project`, `--json`, `--no-daemon`, a client for the project's daemon
 * (started on demand, in-process when asked or in CI), and errors as one line with the packer's code and hint.
 */
export abstract class PackerCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    project: Flags.string({ char: 'C', description: 'Project folder (default: the nearest packer.json upward).', helpGroup: 'GLOBAL' }),
    daemon: Flags.boolean({
      allowNo: true,
      description: 'Use the project daemon (default). --no-daemon runs the packer in this process, for CI and one-off use.',
      helpGroup: 'GLOBAL',
    }),
  };

  protected flags!: BaseFlags<T>;
  protected args!: BaseArgs<T>;
  private openClient: DaemonClient | undefined;

  override async init(): Promise<void> {
    await super.init();
    const { args, flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as unknown as typeof PackerCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as BaseFlags<T>;
    this.args = args as BaseArgs<T>;
  }

  /** The project root: `-C` or the nearest packer.json upward. */
  protected projectRoot(): string {
    return findProjectRoot(this.flags.project ?? process.cwd());
  }

  /**
   * A path argument as the packer expects it: resolved against the current folder, then made relative to the
   * project root. Path arithmetic only; whether the path is acceptable is the packer's call.
   */
  protected projectPath(argument: string): string {
    const absolute = path.resolve(argument);
    const relative = path.relative(this.projectRoot(), absolute);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return absolute;
    return relative.split(path.sep).join('/') + (argument.endsWith('/') ? '/' : '');
  }

  /** An asset reference argument: ids pass through, paths become project paths. */
  protected assetRef(argument: string): string {
    return isAssetId(argument) ? argument : this.projectPath(argument);
  }

  /** True when this invocation runs the packer in-process rather than through the daemon. */
  protected inProcess(): boolean {
    return runsInProcess(this.flags.daemon);
  }

  /** Connects to the project's daemon (starting it if needed), or runs its server in-process. */
  protected async client(): Promise<DaemonClient> {
    this.openClient ??= await DaemonClient.connect(this.projectRoot(), {
      client: `cli:${this.id ?? 'packer'}`,
      inProcess: this.inProcess(),
      reconnect: false,
    });
    if (this.openClient.usedRunningDaemon && !this.jsonEnabled()) {
      this.warn(`A packer daemon (pid ${this.openClient.hello.pid}) already runs for this project, so this command uses it: one writer per project. Stop it with \`packer daemon stop\` to run in-process.`);
    }
    return this.openClient;
  }

  protected override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (error instanceof PackerError) reportPackerError(this, error, (json) => this.logJson(json));
    // `this.exit(code)` ends a command that already printed its answer (check with blockers): nothing to report,
    // and with --json oclif would print a second document describing the exit.
    if (error instanceof Errors.ExitError) throw error;
    return super.catch(error);
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    await this.openClient?.close().catch(() => undefined);
    return super.finally(error);
  }

  /** Fails with the packer's stable error code. */
  protected fail(code: ErrorCode, message: string, data: Record<string, unknown> = {}): never {
    throw new PackerError(code, message, data);
  }
}

/**
 * How every command reports the packer's errors: `{ error: { code, message, data } }` with --json, otherwise the
 * message and hint (the stack only with DEBUG); exit code 1 either way. `logJson` is passed in because it is protected.
 */
export function reportPackerError(command: Command, error: PackerError, logJson: (json: unknown) => void): never {
  if (command.jsonEnabled()) {
    logJson({ error: { code: error.code, message: error.message, data: error.data } });
    command.exit(EXIT_FAILURE);
  }
  const hint = typeof error.data.hint === 'string' ? error.data.hint : undefined;
  const detail = process.env.DEBUG && error.stack ? `\n${error.stack}` : '';
  return command.error(`${error.message}${hint ? `\nHint: ${hint}` : ''}${detail}`, { code: error.code, exit: EXIT_FAILURE });
}
