// Reading a password: from an environment variable when set, else a prompt with echo off on a
// terminal, else the first line of stdin (scripts: `echo "$PW" | modelwatch user add bob`).
import { createInterface } from 'node:readline';
import type { CliIo } from './cli-io.js';
import { UsageError } from './usage-error.js';

/** Reads a secret. @throws UsageError when none is given. */
export async function readSecret(io: CliIo, prompt: string, envName: string): Promise<string> {
  const fromEnv = io.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const secret = io.stdin.isTTY === true ? await promptHidden(io, prompt) : await firstLine(io.stdin);
  if (secret === '') throw new UsageError(`no password given: type it, pipe it on stdin, or set ${envName}`);
  return secret;
}

async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
  }
}

function promptHidden(io: CliIo, prompt: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: io.stdin, output: undefined, terminal: true });
    io.stderr.write(prompt);
    rl.question('', (answer) => {
      io.stderr.write('\n');
      rl.close();
      resolve(answer);
    });
  });
}
