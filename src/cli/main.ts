#!/usr/bin/env node
// The `modelwatch` command: the process edge. It builds the CliIo (streams, environment, the one
// SystemClock, signals) and leaves everything else to commands/.
import { SystemClock } from '../core/index.js';
import type { CliIo } from './commands/cli-io.js';
import { runCli } from './commands/run-cli.js';
import { registerServe } from './serve.js';

let interrupted: Promise<void> | undefined;

const io: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  clock: new SystemClock(),
  interrupted: () =>
    (interrupted ??= new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    })),
};

// exitCode, not exit(): output drains and long-running commands (serve) keep their handles.
process.exitCode = await runCli(process.argv.slice(2), io, registerServe);
