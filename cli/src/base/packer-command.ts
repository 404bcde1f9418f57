import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import path from 'node:path';
import { PackerError } from '@packer/core/contract/runtime';
import { findProjectRoot, ProjectClient, type DaemonClient } from '@packer/client';
import { assetRefOf, projectPathOf } from './project-path.js';
import { packerErrorReport, type PackerErrorShape } from './packer-error-report.js';
import { runsInProcess } from './run-mode.js';

export { EXIT_FAILURE, EXIT_USAGE, type PackerErrorShape } from './packer-error-report.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof PackerCommand)['baseFlags'] & T['flags']
>;
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

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

  /** A path argument as the packer expects it (see projectPathOf): relative to the project root. */
  protected projectPath(argument: string): string {
    return projectPathOf(this.workingFolder(), this.projectRoot(), argument);
  }

  /** An asset reference argument: ids pass through, paths become project paths. */
  protected assetRef(argument: string): string {
    return assetRefOf(this.workingFolder(), this.projectRoot(), argument);
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

/**
 * How every command reports the packer's errors, as the packer worded them: `{ error: { code, message, data } }`
 * with --json, otherwise the message and hint (escaped for the terminal; the stack only with DEBUG); exit code 1,
 * or 2 for a usage error such as CONFIRMATION_REQUIRED. `logJson` is passed in because it is protected.
 */
export function reportPackerError(command: Command, error: PackerErrorShape, logJson: (json: unknown) => void): never {
  const report = packerErrorReport(error);
  if (command.jsonEnabled()) {
    logJson(report.json);
    command.exit(report.exit);
  }
  return command.error(report.text, { code: error.code, exit: report.exit });
}
