// `modelwatch serve`: runs a controller until SIGINT/SIGTERM. This entry point is where the real
// clock, the process logger and the metrics registry are made.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { Controller } from '../api/index.js';
import { SystemClock, errorMessage, pinoLogger } from '../core/index.js';
import { exitCodeOf } from './commands/usage-error.js';
import { resolveServeOptions } from './serve-options.js';
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
    .addHelpText('after', `
On an empty database the first start creates the superuser "admin" and prints its password once
(or uses MODELWATCH_ADMIN_PASSWORD), and creates the "controller" and "default" models.

Examples:
  modelwatch serve
  modelwatch serve --db postgres://postgres@127.0.0.1:5432/modelwatch --listen 127.0.0.1:17071
  MODELWATCH_ADMIN_PASSWORD=s3cret modelwatch serve --db sqlite:/var/lib/modelwatch/state.db`)
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

/** Runs the controller in this process until a signal; exits the process when done. */
export async function runServe(options: ServeOptions): Promise<void> {
  const log = pino({ level: options.logLevel, base: { svc: 'modelwatch' } });
  const logger = pinoLogger(log);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const sqlitePath = /^sqlite:(?!:memory:)(.+)$/.exec(options.db)?.[1];
  if (sqlitePath !== undefined) mkdirSync(dirname(sqlitePath), { recursive: true });
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
    clock: new SystemClock(), logger, registry,
    ...(tls === undefined ? {} : { tls }),
    ...(options.adminPassword === undefined ? {} : { adminPassword: options.adminPassword }),
    onAdminCreated: (name, password) => {
      if (options.adminPassword !== undefined) return;
      process.stdout.write(`\nCreated superuser "${name}" with password: ${password}\nIt is shown only this once.\n\n`);
    },
    onListening: (url) => {
      logger.info('controller listening', { url });
      process.stdout.write(`modelwatch controller listening on ${url}\n`);
    },
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      process.stderr.write(`modelwatch serve: second ${signal}, exiting at once\n`);
      process.exit(1);
    }
    stopping = true;
    logger.info('shutting down', { signal });
    controller.kill();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  try {
    await controller.wait();
    process.exit(0);
  } catch (err) {
    logger.error('controller failed', { err: errorMessage(err) });
    process.exit(1);
  }
}
