// The primary of `modelwatch serve --workers N`: readies the database once (migrations, the admin
// user, whose password is printed here only, the bootstrap models), then forks N workers running
// this same command, prints the URL once, and on SIGINT/SIGTERM stops them all and exits.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { prepareDatabase } from '../api/index.js';
import { ClusterSupervisor } from '../cluster/index.js';
import { SystemClock, errorMessage, pinoLogger } from '../core/index.js';
import { sqliteFileOf } from './serve-options.js';
import type { ServeOptions } from './serve-options.js';
import { stopOnSignals } from './stop-on-signals.js';

/** See the file comment; exits the process when the cluster has stopped. */
export async function runServePrimary(options: ServeOptions): Promise<void> {
  const logger = pinoLogger(pino({ level: options.logLevel, base: { svc: 'modelwatch', role: 'primary' } }));
  const clock = new SystemClock();
  const sqliteFile = sqliteFileOf(options.db);
  if (sqliteFile !== undefined) mkdirSync(dirname(sqliteFile), { recursive: true });
  try {
    const prepared = await prepareDatabase({ db: options.db, clock, logger, ...(options.adminPassword === undefined ? {} : { adminPassword: options.adminPassword }) });
    if (prepared.adminCreated !== undefined && options.adminPassword === undefined) {
      printAdminCreated(prepared.adminCreated.name, prepared.adminCreated.password);
    }
  } catch (err) {
    process.stderr.write(`modelwatch serve: cannot prepare the database: ${errorMessage(err)}\n`);
    process.exit(1);
  }
  const supervisor = ClusterSupervisor.start({
    workers: options.workers, exec: process.argv[1] ?? '', args: process.argv.slice(2), execArgv: process.execArgv,
    clock, logger, registry: new Registry(),
  });
  supervisor.listening().then(
    (url) => {
      logger.info('controller listening', { url, workers: options.workers });
      process.stdout.write(`modelwatch controller listening on ${url} (${options.workers} worker processes)\n`);
    },
    () => undefined, // wait() below reports the failure
  );
  stopOnSignals(logger, () => supervisor.kill(), ['SIGINT', 'SIGTERM']);
  try {
    await supervisor.wait();
    process.exit(0);
  } catch (err) {
    process.stderr.write(`modelwatch serve: ${errorMessage(err)}\n`);
    process.exit(1);
  }
}

/** Prints a generated admin password, the one time it is shown. */
export function printAdminCreated(name: string, password: string): void {
  process.stdout.write(`\nCreated superuser "${name}" with password: ${password}\nIt is shown only this once.\n\n`);
}
