import type { Command } from '../../src/commands/command-args';
import { runCommand } from '../../src/commands/run-command';

/** Runs one subcommand in-process as the CLI would (parse, --help, usage errors), writing to the given sinks. */
export function runCli(
  name: string,
  command: Command,
  args: string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return runCommand(name, command, args, { out, err, env });
}
