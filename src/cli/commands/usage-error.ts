// Exit codes and the one-line error text: 0 ok, 1 error, 2 usage. Usage errors are the ones the
// user fixes by changing the command line or environment, not by waiting or asking an admin.
import { CommanderError } from 'commander';
import { ModelwatchError } from '../../core/index.js';
import { ClientError } from '../../client/index.js';

/** A command line that cannot work (exit code 2). */
export class UsageError extends ModelwatchError {
  constructor(message: string) {
    super('BadRequest', message);
    this.name = 'UsageError';
  }
}

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/** The exit code for an error. Local BadRequest/NotValid (never the server's) are usage errors. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander exits 0 for --help, help and --version; anything else it raises is a usage error.
    return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (err instanceof ClientError) return EXIT_ERROR;
  if (err instanceof ModelwatchError && (err.code === 'BadRequest' || err.code === 'NotValid')) return EXIT_USAGE;
  return EXIT_ERROR;
}

/** The error as one line (`modelwatch: <message>`), or with its stack when debugging. */
export function errorText(err: unknown, debug: boolean): string {
  if (debug && err instanceof Error && err.stack !== undefined) return `modelwatch: ${err.stack}\n`;
  const message = err instanceof Error ? err.message : String(err);
  return `modelwatch: ${message.split('\n')[0] ?? ''}\n`;
}

/** Parses a non-negative integer option. @throws UsageError naming the option. */
export function parseRevision(text: string, option: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new UsageError(`${option} ${JSON.stringify(text)} not valid: use a revision number (0 or more)`);
  return Number(text);
}
