// What a command may touch of the process: streams, environment and the clock. Passed in, so
// commands run in tests without a child process, and only main.ts reads `process`.
import type { Clock } from '../../core/index.js';

/** A writable text stream (process.stdout/stderr or a test buffer). */
export interface TextOut {
  write(text: string): unknown;
  /** True on a terminal: progress bars and screen redraws only then. */
  isTTY?: boolean;
  columns?: number;
}

/** The process surface commands use. */
export interface CliIo {
  stdout: TextOut;
  stderr: TextOut;
  /** Standard input (for `put` JSON, passwords, `apply -f -`). */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  clock: Clock;
  /**
   * Resolves when the user interrupts (SIGINT/SIGTERM). Only long-running commands call it: it
   * installs the signal handlers, which replace the default exit.
   */
  interrupted(): Promise<void>;
}

/** Reads all of stdin as text. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
