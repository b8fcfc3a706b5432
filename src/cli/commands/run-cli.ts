// Builds the `modelwatch` program and runs it: exit code 0 ok, 1 error, 2 usage; errors as one
// line on stderr (with the stack under --debug).
import { Command, CommanderError } from 'commander';
import { registerApply } from './apply-command.js';
import { registerLogin, registerModels, registerUsers } from './admin-commands.js';
import type { CliIo } from './cli-io.js';
import { registerEntityCommands } from './entity-commands.js';
import { registerStatus } from './status-command.js';
import { EXIT_OK, errorText, exitCodeOf } from './usage-error.js';
import { registerWatch } from './watch-command.js';

export const VERSION = '0.1.0';

/** Adds commands other modules own (e.g. `serve`); called after the built-in ones. */
export type ExtraCommands = (program: Command) => void;

/** The program with every command registered. Commander errors throw instead of exiting. */
export function buildProgram(io: CliIo, extra?: ExtraCommands): Command {
  const program = new Command('modelwatch');
  program
    .description('Watch the state of a model: entities and the liveness of their agents')
    .version(VERSION)
    .option('--debug', 'print stack traces and connection details')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `
Environment:
  MODELWATCH_URL       controller URL (default http://127.0.0.1:17070; ws/wss are derived)
  MODELWATCH_USER      user name      } or run "modelwatch login" once
  MODELWATCH_PASSWORD  password       }
  MODELWATCH_HOME      where login keeps its token (default ~/.config/modelwatch)

Examples:
  $ modelwatch login --user admin
  $ modelwatch put unit mysql/0 application=mysql workload-status.current=active
  $ modelwatch watch --json
  $ modelwatch status --watch

Exit codes: 0 ok, 1 error, 2 usage.`);
  const debug = (): boolean => program.opts<{ debug?: boolean }>().debug === true;
  registerWatch(program, io, debug);
  registerStatus(program, io, debug);
  registerEntityCommands(program, io);
  registerApply(program, io);
  registerModels(program, io);
  registerUsers(program, io);
  registerLogin(program, io);
  extra?.(program);
  return program;
}

/** Runs the CLI on `args` (without node and script) and returns the exit code. */
export async function runCli(args: readonly string[], io: CliIo, extra?: ExtraCommands): Promise<number> {
  const program = buildProgram(io, extra);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    // Commander already printed its own usage error; everything else gets one line here.
    if (!(err instanceof CommanderError)) io.stderr.write(errorText(err, program.opts<{ debug?: boolean }>().debug === true || args.includes('--debug')));
    return exitCodeOf(err);
  }
}
