import { ConfigError } from '../config';
import { CommandError, parseCommandArgs, usageText, UsageError, wantsHelp, type Command, type CommandIO } from './command-args';

/**
 * Runs one subcommand the same way for every command: `--help` prints its usage and returns 0
 * before anything else happens; a bad command line prints the message and the usage and returns
 * 2; a CommandError or ConfigError is one line on stderr. Anything else is a bug and propagates.
 */
export async function runCommand(name: string, command: Command, argv: string[], io: CommandIO): Promise<number> {
  if (wantsHelp(argv)) {
    io.out.write(usageText(command));
    return 0;
  }
  try {
    return await command.run(parseCommandArgs(command, argv), io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err.write(`provml ${name}: ${e.message}\n${usageText(command)}`);
      return 2;
    }
    if (e instanceof CommandError) {
      io.err.write(`provml ${name}: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof ConfigError) {
      io.err.write(`provml ${name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
