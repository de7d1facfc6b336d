/** What every dcpower sub-command shares: its entry shape, argument parsing and JSON output. */
import { parseArgs, ParseArgsConfig } from 'util';

export interface Command {
  /** one line for `dcpower --help` */
  summary: string;
  /** full usage text for `dcpower <command> --help` */
  usage: string;
  /** the command prints its own help (sub-commands such as `simulate <device> --help`) */
  handlesHelp?: boolean;
  /** returns the process exit code */
  run(argv: string[]): Promise<number>;
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses argv with node's util.parseArgs; unknown options are an error the caller prints. */
export function parse<O extends Options>(argv: string[], options: O) {
  return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** A simulator (or any server) started by a command, stopped when the process is asked to stop. */
export interface Running {
  stop(): Promise<void>;
}

/** Runs a started server until Ctrl-C or SIGTERM, then stops it: the shape of every `simulate` command. */
export async function runUntilInterrupted(start: () => Promise<Running>): Promise<number> {
  const running = await start();
  await untilInterrupted();
  await running.stop();
  return 0;
}

/** Resolves when the process is asked to stop (Ctrl-C or SIGTERM), for long-running commands. */
export function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
