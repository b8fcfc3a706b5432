// Readies an empty or existing database for controllers, once, before any of them starts: migrates
// the schema, creates the admin user (reporting its password when this call created it) and the
// `controller` and `default` models. `serve --workers` runs it in the primary so that the password is
// printed once and the workers find everything in place (each worker's own bootstrap is then a read).
import type { Clock, Logger } from '../../core/index.js';
import { openState } from '../../state/index.js';
import { createAuthService } from '../auth/auth-service.js';
import { bootstrapModels } from './bootstrap.js';
import type { BootstrapResult } from './bootstrap.js';

/** What prepareDatabase needs: the database, and the admin password to use if it creates the admin. */
export interface PrepareConfig {
  db: string;
  adminPassword?: string;
  clock: Clock;
  logger: Logger;
}

/** Result: the models bootstrap found or made, and the admin it created (undefined: it existed). */
export interface PrepareResult extends BootstrapResult {
  adminCreated: { name: string; password: string } | undefined;
}

/**
 * See the file comment. Idempotent; safe to race with controllers starting on the same database.
 * @throws ModelwatchError NotValid for a bad URL; the database's own errors when it cannot be opened.
 */
export async function prepareDatabase(config: PrepareConfig): Promise<PrepareResult> {
  const state = await openState(config.db, { clock: config.clock, logger: config.logger });
  try {
    const auth = createAuthService({ clock: config.clock, logger: config.logger, users: state.users() });
    try {
      const adminCreated = await auth.admin.ensureAdmin(config.adminPassword);
      const bootstrap = await bootstrapModels(state, 'admin', config.clock, config.logger);
      return { ...bootstrap, adminCreated };
    } finally {
      auth.close();
    }
  } finally {
    await state.close();
  }
}
