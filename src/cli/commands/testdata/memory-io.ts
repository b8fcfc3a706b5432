// A CliIo over strings, for running commands in-process.
import { Readable } from 'node:stream';
import { ManualClock } from '../../../core/index.js';
import type { CliIo } from '../cli-io.js';

export interface MemoryIo extends CliIo {
  out(): string;
  err(): string;
}

export function memoryIo(env: Record<string, string | undefined> = {}, stdinText = ''): MemoryIo {
  let out = '';
  let err = '';
  const stdin = Readable.from([stdinText]) as Readable & { isTTY?: boolean };
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    stdin,
    env,
    clock: new ManualClock(0),
    interrupted: () => new Promise<void>(() => undefined),
    out: () => out,
    err: () => err,
  };
}
