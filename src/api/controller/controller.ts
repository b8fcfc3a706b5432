// A controller process (`modelwatch serve`): a dependency engine wiring
//   state → multiwatcher ─┐
//   state → presence hub ─┼→ api-server
//   state → auth (+ bootstrap) ┘
// Each worker restarts with back-off when it fails; dependents bounce when an input restarts.
import type { Registry } from 'prom-client';
import { NotValidError, deferred } from '../../core/index.js';
import type { Clock, Logger, Reporter, Worker } from '../../core/index.js';
import { Engine } from '../../dependency/index.js';
import type { Manifold } from '../../dependency/index.js';
import { MAX_REVISION_CHECKPOINTS, multiwatcherManifold } from '../../multiwatcher/index.js';
import type { MultiwatcherWorker } from '../../multiwatcher/index.js';
import { presenceStoreOf, removePresenceForModel } from '../../presence/index.js';
import { stateManifold } from '../../state/index.js';
import type { SqlitePeers, State } from '../../state/index.js';
import { runWorker } from '../../worker/index.js';
import { createAuthService } from '../auth/auth-service.js';
import type { ControllerAuthService } from '../auth/auth-service.js';
import { DEFAULT_API_LIMITS } from '../limits.js';
import { createRestHandler } from '../rest/index.js';
import { serveRpcConnection } from '../rpc/index.js';
import { ApiServer } from '../server/api-server.js';
import type { ApiLimits, ControllerServices } from '../services.js';
import { bootstrapModels } from './bootstrap.js';
import type { BootstrapResult } from './bootstrap.js';
import { PresenceHub } from './presence-hub.js';

/** Configuration of a controller; times in ms. */
export interface ControllerConfig {
  db: string;
  host: string;
  port: number;
  tls?: { cert: string | Buffer; key: string | Buffer };
  retention?: { ms?: number; revisions?: number };
  presencePeriodMs?: number;
  /** Revisions of removals the multiwatcher keeps for resume (default 65,536). */
  resumeRevisions?: number;
  /** Presence batcher flush interval (default 1 s). */
  presenceFlushMs?: number;
  /** Password for the admin user created on an empty database (generated when absent). */
  adminPassword?: string;
  serverVersion?: string;
  limits?: Partial<ApiLimits>;
  dashboardDir?: string;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  /** Called once with the admin password when this start created the admin user. */
  onAdminCreated?: (name: string, password: string) => void;
  /** Called when the API server is listening (after every (re)start). */
  onListening?: (url: string) => void;
  /**
   * Extension (`serve --workers`): the other processes on the same SQLite file, so their commits and
   * presence rings arrive at once (state/peers.ts). Not for PostgreSQL, where NOTIFY does this.
   */
  statePeers?: SqlitePeers;
  /** Extension (`serve --workers`): what `/metrics` answers instead of this process's registry. */
  metricsText?: () => Promise<string>;
  /** Extension (`serve --workers`): this worker's index, shown by `/healthz` with its pid. */
  worker?: number;
}

/** The auth manifold's output: the service plus what bootstrap found. */
interface AuthOutput {
  auth: ControllerAuthService;
  bootstrap: BootstrapResult;
}

/** Running controller: a Worker whose report() is the engine's. */
export class Controller implements Worker, Reporter {
  readonly #engine: Engine;
  readonly #listening = deferred<string>();

  private constructor(engine: Engine) {
    this.#engine = engine;
  }

  /** Starts the engine. @throws NotValidError for a bad config. */
  static start(config: ControllerConfig): Controller {
    for (const k of ['clock', 'logger', 'registry', 'db'] as const) {
      if ((config as Partial<ControllerConfig>)[k] === undefined) throw new NotValidError(`missing ${k} not valid`);
    }
    let listened = false;
    const engine = new Engine({
      clock: config.clock, logger: config.logger, registry: config.registry, errorDelayMs: 1000, maxDelayMs: 30_000,
      // The address cannot be had (in use, not ours, not here) before the first listen: a start that
      // cannot succeed ends the controller with that error instead of retrying it forever. After a
      // first listen, a restart that meets it keeps retrying (the port may come back).
      isFatal: (err) => !listened && isListenError(err),
    });
    const c = new Controller(engine);
    const onListening = (url: string): void => {
      listened = true;
      c.#listening.resolve(url);
      config.onListening?.(url);
    };
    engine.installAll(controllerManifolds({ ...config, onListening }));
    return c;
  }

  /** Resolves with the API URL once the server first listens. */
  listening(): Promise<string> {
    return this.#listening.promise;
  }

  kill(): void {
    this.#engine.kill();
  }

  wait(): Promise<void> {
    return this.#engine.wait();
  }

  report(): Record<string, unknown> {
    return this.#engine.report();
  }
}

const LISTEN_ERRORS = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL']);

/** True for a listen error no retry can fix by itself (the address is taken, forbidden or absent). */
function isListenError(err: Error): boolean {
  const code = (err as Error & { code?: unknown }).code;
  return typeof code === 'string' && LISTEN_ERRORS.has(code);
}

/** The controller's manifolds, by name. */
export function controllerManifolds(config: ControllerConfig): Record<string, Manifold> {
  const { clock, logger, registry } = config;
  const periodMs = config.presencePeriodMs ?? 30_000;
  return {
    state: stateManifold({
      url: config.db, clock, logger, registry,
      ...(config.retention === undefined ? {} : { retention: config.retention }),
      ...(config.statePeers === undefined ? {} : { peers: config.statePeers }),
    }),
    // Tombstones kept for resume: as many revisions as the store keeps checkpoints for (65,536), so a
    // client reconnecting within that many commits resumes instead of re-reading the full state.
    multiwatcher: multiwatcherManifold({ stateName: 'state', clock, logger, registry, retainRevisions: config.resumeRevisions ?? MAX_REVISION_CHECKPOINTS }),
    presence: {
      inputs: ['state'],
      start: (ctx) => {
        const state = ctx.getResource<State>('state');
        return Promise.resolve(new PresenceHub({
          store: presenceStoreOf(state), clock, logger, registry, periodMs,
          flushIntervalMs: config.presenceFlushMs ?? 1000,
          models: async () => (await state.list({ kind: 'model' })).map((m) => m.modelUUID),
        }));
      },
    },
    auth: {
      inputs: ['state'],
      start: async (ctx) => {
        const state = ctx.getResource<State>('state');
        const auth = createAuthService({ clock, logger, users: state.users(), registry });
        const admin = await auth.admin.ensureAdmin(config.adminPassword);
        if (admin !== undefined) config.onAdminCreated?.(admin.name, admin.password);
        const bootstrap = await bootstrapModels(state, 'admin', clock, logger);
        const output: AuthOutput = { auth, bootstrap };
        const w = runWorker((signal) => new Promise<void>((resolve) => {
          if (signal.aborted) resolve();
          else signal.addEventListener('abort', () => resolve(), { once: true });
        }).finally(() => auth.close()));
        return Object.assign(w, { output });
      },
      output: (w) => (w as Worker & { output: AuthOutput }).output,
    },
    'api-server': {
      inputs: ['state', 'multiwatcher', 'presence', 'auth'],
      start: async (ctx) => {
        const { auth, bootstrap } = ctx.getResource<AuthOutput>('auth');
        const services: ControllerServices = {
          clock, logger, registry,
          controllerUUID: bootstrap.controllerUUID,
          serverVersion: config.serverVersion ?? '3.6.0',
          state: ctx.getResource<State>('state'),
          multiwatcher: ctx.getResource<MultiwatcherWorker>('multiwatcher'),
          presence: ctx.getResource<PresenceHub>('presence'),
          auth,
          limits: { ...DEFAULT_API_LIMITS, ...config.limits },
        };
        const server = await ApiServer.start({
          services, host: config.host, port: config.port,
          rpc: serveRpcConnection,
          rest: createRestHandler({ services, admin: auth.admin }),
          // Grants, agent credentials, tokens and presence rows of a model removed by any path
          // (idempotent: every controller on the database does it).
          onModelRemoved: async (uuid) => {
            await auth.admin.forgetModel(uuid);
            await removePresenceForModel(services.presence.store, uuid);
          },
          ...(config.tls === undefined ? {} : { tls: config.tls }),
          ...(config.dashboardDir === undefined ? {} : { dashboardDir: config.dashboardDir }),
          ...(config.metricsText === undefined ? {} : { metricsText: config.metricsText }),
          ...(config.worker === undefined ? {} : { worker: config.worker }),
        });
        config.onListening?.(server.address().url);
        return server;
      },
    },
  };
}
