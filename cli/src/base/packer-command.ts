import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import path from 'node:path';
import { isAssetId, PackerError } from '@packer/core/contract/runtime';
import type { ErrorCode } from '@packer/core/contract';
import { terminalText } from '../render/terminal-text.js';
import { findProjectRoot, ProjectClient, type DaemonClient } from '@packer/client';
import { runsInProcess } from './run-mode.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof PackerCommand)['baseFlags'] & T['flags']
>;
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/** Exit code for failures (usage errors exit 2 through oclif's exitCodes setting). */
export const EXIT_FAILURE = 1;

/** Exit code for a command that was used wrongly rather than one that failed: like oclif's usage errors. */
export const EXIT_USAGE = 2;

/** Errors that say how the command was called, not what the packer found: they exit like usage errors. */
const USAGE_ERRORS: ReadonlySet<ErrorCode> = new Set(['CONFIRMATION_REQUIRED']);

/**
 * What every packer command shares: `-C/--project`, `--json`, `--no-daemon`, a client for the project's daemon
 * (started on demand, in-process when asked or in CI), and errors as one line with the packer's code and hint.
 */
export abstract class PackerCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    project: Flags.string({
      char: 'C',
      description:
        'Run as if started in this folder (like git -C): path arguments are relative to it, and the project is the nearest packer.json upward from it.',
      helpGroup: 'GLOBAL',
    }),
    daemon: Flags.boolean({
      allowNo: true,
      description:
        'Use the project daemon (default). --no-daemon runs the packer in this process, for CI and one-off use.',
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

  /** The folder the command runs as if started in: `-C` (relative to the current folder), or the current folder. */
  protected workingFolder(): string {
    return path.resolve(this.flags.project ?? '.');
  }

  /** The project root: the nearest packer.json upward from the working folder. */
  protected projectRoot(): string {
    return findProjectRoot(this.workingFolder());
  }

  /**
   * A path argument as the packer expects it: resolved against the working folder (`-C`, as git, make and tar
   * read it), then made relative to the project root. Path arithmetic only; whether the path is acceptable is
   * the packer's call.
   */
  protected projectPath(argument: string): string {
    const absolute = path.resolve(this.workingFolder(), argument);
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
    this.openClient ??= await ProjectClient.connect(this.projectRoot(), {
      client: `cli:${this.id ?? 'packer'}`,
      inProcess: this.inProcess(),
      reconnect: false,
    });
    if (this.openClient.usedRunningDaemon && !this.jsonEnabled()) {
      this.warn(
        `A packer daemon (pid ${this.openClient.hello.pid}) already runs for this project, so this command uses it: one writer per project. Stop it with \`packer daemon stop\` to run in-process.`,
      );
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
}

/** An error as the packer sends it: a PackerError, or the `error` of a `failed` event (its `PackerErrorJSON`). */
export type PackerErrorShape = Pick<PackerError, 'code' | 'message'> & { data?: PackerError['data'] | undefined };

/**
 * How every command reports the packer's errors, as the packer worded them: `{ error: { code, message, data } }`
 * with --json, otherwise the message and hint (escaped for the terminal; the stack only with DEBUG); exit code 1,
 * or 2 for a usage error such as CONFIRMATION_REQUIRED. `logJson` is passed in because it is protected.
 */
export function reportPackerError(command: Command, error: PackerErrorShape, logJson: (json: unknown) => void): never {
  const data = error.data ?? {};
  const exit = USAGE_ERRORS.has(error.code) ? EXIT_USAGE : EXIT_FAILURE;
  if (command.jsonEnabled()) {
    logJson({ error: { code: error.code, message: error.message, data } });
    command.exit(exit);
  }
  const { hint } = data;
  const stack = error instanceof Error ? error.stack : undefined;
  const detail = process.env.DEBUG && stack ? `\n${stack}` : '';
  return command.error(`${terminalText(error.message)}${hint ? `\nHint: ${terminalText(hint)}` : ''}${detail}`, {
    code: error.code,
    exit,
  });
}
