import { parseArgs } from 'node:util';

/**
 * The one argument parser of every `provml` subcommand (node:util parseArgs, strict): each
 * command declares its options next to its code (src/commands/*-command.ts) and cli.ts only looks
 * the command up in its table. `--help`/`-h` is every command's; unknown options are usage errors.
 */

/** One option: its parseArgs type plus the words its usage line shows. */
export interface OptionDef {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder of the value in the usage text (`URL`, `N`). */
  value?: string;
  help: string;
}

export type OptionDefs = Record<string, OptionDef>;

type ValueOf<D extends OptionDef> = D['type'] extends 'boolean' ? boolean : D['multiple'] extends true ? string[] : string;

/** Parsed option values, typed from the declaration (absent options are undefined). */
export type OptionValues<O extends OptionDefs> = { [K in keyof O]?: ValueOf<O[K]> };

export interface ParsedArgs<O extends OptionDefs> {
  values: OptionValues<O>;
  positionals: string[];
}

/** Where a command writes, and the environment it reads (tests pass their own). */
export interface CommandIO {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export interface Command<O extends OptionDefs = OptionDefs> {
  /** `provml ingest FILE.jsonl [options]`: the synopsis line, after `usage: `. */
  synopsis: string;
  /** What the command does, a sentence or two for its --help. */
  description: string;
  options: O;
  /** Fewest and most positional arguments (max Infinity for "one or more"). */
  positionals: { min: number; max: number };
  run(args: ParsedArgs<O>, io: CommandIO): Promise<number>;
}

/** Typed at the declaration, erased for cli.ts's table. */
export function defineCommand<O extends OptionDefs>(command: Command<O>): Command {
  return command as unknown as Command;
}

/** A bad command line: cli.ts prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command that failed for a reason the user can act on: printed as one line, exit `exitCode`. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** True when the arguments ask for help (before any `--`): nothing else may run then. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/** Parses argv against a command's declaration; throws UsageError with a short message. */
export function parseCommandArgs<O extends OptionDefs>(command: Command<O>, argv: string[]): ParsedArgs<O> {
  const options = Object.fromEntries(
    Object.entries(command.options).map(([name, d]) => [
      name,
      { type: d.type, ...(d.short ? { short: d.short } : {}), ...(d.multiple ? { multiple: true } : {}) },
    ]),
  );
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(shortParseMessage(e));
  }
  const { min, max } = command.positionals;
  const n = parsed.positionals.length;
  if (n < min) throw new UsageError(min === 1 ? 'an argument is missing' : `at least ${min} arguments are needed`);
  if (n > max)
    throw new UsageError(
      max === 0 ? `unexpected argument ${parsed.positionals[0]}` : `unexpected argument ${parsed.positionals[max]}`,
    );
  return { values: parsed.values as OptionValues<O>, positionals: parsed.positionals };
}

// parseArgs's messages explain `--` at length; a usage line follows ours anyway.
function shortParseMessage(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const name = /'([^']+)'/.exec(err.message ?? '')?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${name ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return (err.message ?? 'bad option value').split('.')[0];
    default:
      return err.message ?? String(e);
  }
}

/** The command's --help text. */
export function usageText(command: Command): string {
  const rows = Object.entries(command.options).map(([name, d]) => {
    const left = `${d.short ? `-${d.short}, ` : '    '}--${name}${d.type === 'string' ? ` ${d.value ?? 'VALUE'}` : ''}`;
    return `  ${left.padEnd(28)} ${d.help}`;
  });
  rows.push(`  ${'-h, --help'.padEnd(28)} print this help and exit`);
  return `usage: ${command.synopsis}\n\n${command.description}\n\noptions:\n${rows.join('\n')}\n`;
}

/** A whole number option (`--batch 500`); `fallback` when absent. */
export function intOption(name: string, v: string | undefined, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(`--${name}: a whole number of at least ${min}, got ${JSON.stringify(v)}`);
  return n;
}

/** A positive number option (`--timeout 1.5`); `fallback` when absent. */
export function positiveOption(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!v.trim() || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${name}: a positive number, got ${JSON.stringify(v)}`);
  return n;
}
