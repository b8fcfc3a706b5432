// `modelwatch serve`: runs a controller until SIGINT/SIGTERM. This entry point is where the real
// clock, the process logger and the metrics registry are made.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import cluster from 'node:cluster';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { PrimaryLink } from '../cluster/index.js';
import { Controller } from '../api/index.js';
import { SystemClock, errorMessage, pinoLogger } from '../core/index.js';
import { exitCodeOf } from './commands/usage-error.js';
import { resolveServeOptions, sqliteFileOf } from './serve-options.js';
import { printAdminCreated, runServePrimary } from './serve-primary.js';
import { stopOnSignals } from './stop-on-signals.js';
import type { RawServeOptions, ServeOptions } from './serve-options.js';

/** Adds the `serve` subcommand to the CLI. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run a controller: WebSocket RPC (Juju-compatible), REST, /metrics, on SQLite or PostgreSQL')
    .option('--db <url>', 'state database: sqlite:<path>, sqlite::memory: or postgres://… (env MODELWATCH_DB)')
    .option('--listen <host:port>', 'listen address (env MODELWATCH_LISTEN, default 127.0.0.1:17070)')
    .option('--tls-cert <file>', 'PEM certificate; serve wss:// and https:// (env MODELWATCH_TLS_CERT)')
    .option('--tls-key <file>', 'PEM private key (env MODELWATCH_TLS_KEY)')
    .option('--retention <duration>', 'change-log history kept for resume, e.g. 10m, at most 100 years (env MODELWATCH_RETENTION)')
    .option('--retention-revisions <n>', 'change-log revisions kept at least (env MODELWATCH_RETENTION_REVISIONS)')
    .option('--presence-period <duration>', 'presence slot period, whole seconds, at most 24.8 days (env MODELWATCH_PRESENCE_PERIOD, default 30s)')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent (env MODELWATCH_LOG_LEVEL)')
    .option('--workers <n>', 'controller processes sharing the listener and the database: 1–64 or auto (env MODELWATCH_WORKERS, default 1)')
    .addHelpText('after', `
On an empty database the first start creates the superuser "admin" and prints its password once
(or uses MODELWATCH_ADMIN_PASSWORD), and creates the "controller" and "default" models.

Examples:
  modelwatch serve
  modelwatch serve --db postgres://postgres@127.0.0.1:5432/modelwatch --listen 127.0.0.1:17071
  MODELWATCH_ADMIN_PASSWORD=s3cret modelwatch serve --db sqlite:/var/lib/modelwatch/state.db
  modelwatch serve --workers auto     # one controller process per CPU, one listener, one database`)
    .action(async (raw: RawServeOptions) => {
      let options: ServeOptions;
      try {
        options = resolveServeOptions(raw);
      } catch (err) {
        process.stderr.write(`modelwatch serve: ${errorMessage(err)}\n`);
        process.exit(exitCodeOf(err));
      }
      await runServe(options);
    });
}

/**
 * Runs the controller until a signal; exits the process when done. With `--workers` above 1 the
 * first process becomes the cluster's primary (serve-primary.ts) and re-runs this command as each
 * worker, which arrives here with a link to the primary.
 */
export async function runServe(options: ServeOptions): Promise<void> {
  if (options.workers > 1 && cluster.isPrimary) {
    await runServePrimary(options);
    return;
  }
  const index = options.workers > 1 ? workerIndex(process.env.MODELWATCH_WORKER_INDEX, options.workers) : undefined;
  // A worker leaves Ctrl-C (sent to the whole process group) to the primary, which sends it SIGTERM.
  // Not handling SIGINT is not ignoring it: the default action would kill the worker mid-request.
  if (index !== undefined) process.on('SIGINT', () => undefined);
  const log = pino({ level: options.logLevel, base: { svc: 'modelwatch', ...(index === undefined ? {} : { worker: index }) } });
  const logger = pinoLogger(log);
  const clock = new SystemClock();
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const link = index === undefined ? undefined : new PrimaryLink({ index, clock, logger, registry });
  const sqliteFile = sqliteFileOf(options.db);
  if (sqliteFile !== undefined) mkdirSync(dirname(sqliteFile), { recursive: true });
  let tls: { cert: Buffer; key: Buffer } | undefined;
  if (options.tlsCert !== undefined && options.tlsKey !== undefined) {
    try {
      tls = { cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey) };
    } catch (err) {
      process.stderr.write(`modelwatch serve: cannot read TLS files: ${errorMessage(err)}\n`);
      process.exit(1);
    }
  }
  const controller = Controller.start({
    db: options.db, host: options.host, port: options.port,
    retention: { ms: options.retentionMs, revisions: options.retentionRevisions },
    presencePeriodMs: options.presencePeriodMs,
    clock, logger, registry,
    ...(tls === undefined ? {} : { tls }),
    ...(options.adminPassword === undefined ? {} : { adminPassword: options.adminPassword }),
    // Workers: the rings of the other processes on the SQLite file, and the cluster's metrics.
    ...(link !== undefined && sqliteFile !== undefined ? { statePeers: link } : {}),
    ...(link === undefined || index === undefined ? {} : { metricsText: () => link.clusterMetrics(), worker: index }),
    onAdminCreated: (name, password) => {
      if (options.adminPassword !== undefined) return;
      printAdminCreated(name, password);
    },
    onListening: (url) => {
      logger.info('controller listening', { url });
      if (link !== undefined) link.listening(url);
      else process.stdout.write(`modelwatch controller listening on ${url}\n`);
    },
  });
  const stopper = stopOnSignals(logger, () => controller.kill(), link === undefined ? ['SIGINT', 'SIGTERM'] : []);
  if (link !== undefined) {
    // A worker's SIGTERM often comes twice: from whoever signalled the whole group (systemd stops a
    // unit's control group) and then from the primary. A repeat must not cut the graceful stop short
    // as the operator insisting would; the primary SIGKILLs a worker that takes too long.
    process.on('SIGTERM', () => stopper.stopFor('SIGTERM'));
    link.onDisconnect(() => stopper.stopFor('primary gone'));
  }
  try {
    await controller.wait();
    link?.close();
    process.exit(0);
  } catch (err) {
    logger.error('controller failed', { err: errorMessage(err) });
    process.stderr.write(`modelwatch serve: ${errorMessage(err)}\n`);
    process.exit(1);
  }
}

/** The index the primary gave this worker (MODELWATCH_WORKER_INDEX); exits on a bad one. */
function workerIndex(text: string | undefined, workers: number): number {
  const n = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || n >= workers) {
    process.stderr.write(`modelwatch serve: MODELWATCH_WORKER_INDEX ${JSON.stringify(text ?? '')} not valid: this process is a cluster worker and needs 0–${workers - 1}\n`);
    process.exit(2);
  }
  return n;
}
