// `modelwatch watch`: streams a model's (or every model's) deltas, one line each or NDJSON, and
// keeps going across controller restarts (reconnect + resume), saying so on stderr.
import type { Command } from 'commander';
import { validateKind } from '../../core/index.js';
import type { ClientEvent } from '../../client/index.js';
import { DeltaPrinter } from '../output/delta-printer.js';
import type { CliIo } from './cli-io.js';
import { cliLogger } from './cli-logger.js';
import { resolveModel, restClient, rpcClient } from './controller-context.js';
import { UsageError, parseRevision } from './usage-error.js';

interface WatchOptions {
  model?: string;
  controller?: boolean;
  json?: boolean;
  since?: string;
  kind: string[];
}

/** Says on stderr what happens to the connection and the watcher. */
export function connectionNotices(io: CliIo, debug: boolean): (e: ClientEvent) => void {
  return (e) => {
    switch (e.type) {
      case 'disconnected':
        io.stderr.write(`modelwatch: connection lost (${e.reason}); reconnecting\n`);
        break;
      case 'retrying':
        if (debug) io.stderr.write(`modelwatch: retrying in ${e.delayMs} ms (attempt ${e.attempt}: ${e.reason})\n`);
        break;
      case 'connected':
        if (e.reconnect) io.stderr.write('modelwatch: reconnected\n');
        break;
      case 'resumed':
        io.stderr.write(`modelwatch: resumed after revision ${e.since}\n`);
        break;
      case 'resync-required':
        io.stderr.write(`modelwatch: revision ${e.since} is no longer retained; the full state follows\n`);
        break;
      case 'started':
        break;
    }
  };
}

export function registerWatch(program: Command, io: CliIo, debug: () => boolean): void {
  program
    .command('watch')
    .description('stream deltas as they happen: time, kind, op, id and the fields that changed')
    .option('-m, --model <model>', 'model name or UUID (default: the model named "default")')
    .option('--controller', 'watch every model (controller superusers)')
    .option('--json', 'print one JSON object per delta (NDJSON)')
    .option('--since <revision>', 'start after this revision instead of from the full state')
    .option('-k, --kind <kind>', 'show only this kind (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .addHelpText('after', `
The first lines are the current state; then one line per change. If the controller restarts,
watch reconnects and resumes from the last revision it printed: nothing is lost or repeated.

Examples:
  $ modelwatch watch                        # the model named "default"
  $ modelwatch watch --model prod --kind unit --kind machine
  $ modelwatch watch --json | jq .id        # NDJSON
  $ modelwatch watch --controller --since 1200`)
    .action(async (opts: WatchOptions) => {
      if (opts.controller === true && opts.model !== undefined) throw new UsageError('--model and --controller cannot be used together');
      const since = opts.since === undefined ? undefined : parseRevision(opts.since, '--since');
      // A misspelt kind would otherwise filter out everything, silently (NotValid: exit code 2).
      for (const kind of opts.kind) validateKind(kind, '--kind');
      const logger = cliLogger(io.stderr, debug());
      const client = await rpcClient(io, logger, connectionNotices(io, debug()), { longRunning: true });
      try {
        const sinceOpt = since === undefined ? {} : { since };
        const watcher =
          opts.controller === true
            ? client.watchController(sinceOpt)
            : client.watchModel((await resolveModel(await restClient(io), opts.model)).uuid, sinceOpt);
        void io.interrupted().then(() => watcher.stop());
        const printer = new DeltaPrinter({ json: opts.json === true, showModel: opts.controller === true, kinds: opts.kind });
        for await (const batch of watcher) {
          for (const line of printer.lines(batch, io.clock.now())) io.stdout.write(line);
        }
      } finally {
        client.close();
      }
    });
}
