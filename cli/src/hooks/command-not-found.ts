import { Errors, toConfiguredId, type Hook } from '@oclif/core';
import { EXIT_USAGE } from '../base/packer-command.js';
import { closestCommand } from './closest-command.js';

/**
 * An unknown command suggests the closest one. On a terminal, `@oclif/plugin-not-found` asks "Did you mean …?"
 * and runs it when confirmed. Without one (a script, a pipe, stdin from /dev/null) nobody can answer, and that
 * plugin would print no suggestion at all, so this prints it and exits. Either way a mistyped command exits 2,
 * like the CLI's other usage errors (the plugin's own 127 is rewritten).
 */
const hook: Hook.CommandNotFound = async function (options) {
  if (process.stdin.isTTY) {
    const { default: askAndRun } = await import('@oclif/plugin-not-found');
    try {
      return await askAndRun.call(this, options);
    } catch (error) {
      // The plugin's "not a command" ending; anything else came from the command it ran and passes as it was.
      if (error instanceof Errors.CLIError && error.oclif.exit === 127) this.error(error.message, { exit: EXIT_USAGE });
      throw error;
    }
  }
  const hidden = new Set(options.config.commands.filter((command) => command.hidden).map((command) => command.id));
  const ids = [...options.config.commandIDs, ...options.config.commands.flatMap((command) => command.aliases)].filter(
    (id) => !hidden.has(id),
  );
  const bin = options.config.bin;
  const suggestion = closestCommand(options.id, ids);
  this.warn(`${toConfiguredId(options.id, options.config)} is not a ${bin} command.`);
  const didYouMean = suggestion ? `Did you mean \`${bin} ${toConfiguredId(suggestion, options.config)}\`? ` : '';
  this.error(`${didYouMean}Run \`${bin} help\` for a list of available commands.`, { exit: EXIT_USAGE });
};

export default hook;
