// The state as a dependency-engine manifold: start opens the database (migrating it), the output is
// the State, and kill closes it. Dependents (multiwatcher, presence, API) take it as an input.
import type { Clock, Logger, Reporter, Worker } from '../core/index.js';
import { NotValidError, asError, deferred, isReporter } from '../core/index.js';
import type { Manifold, ManifoldContext } from '../dependency/index.js';
import type { Registry } from 'prom-client';
import type { StateLimits } from './limits.js';
import { openState } from './open-state.js';
import type { Retention, State } from './state.js';
import type { SqlitePeers } from './peers.js';

export interface StateManifoldConfig {
  /** `sqlite:<path>`, `sqlite::memory:` or `postgres://…`. */
  url: string;
  clock: Clock;
  logger: Logger;
  retention?: Retention;
  registry?: Registry;
  limits?: Partial<StateLimits>;
  /** Extension: other processes on the same SQLite file (see OpenStateInternalOptions.peers). */
  peers?: SqlitePeers;
}

/** The running state: kill() closes it; wait() resolves once it is closed (rejects if closing failed). */
export class StateWorker implements Worker, Reporter {
  readonly state: State;
  readonly #done = deferred<void>();
  #killed = false;

  constructor(state: State) {
    this.state = state;
  }

  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    this.state.close().then(() => this.#done.resolve(), (err: unknown) => this.#done.reject(err));
  }

  wait(): Promise<void> {
    return this.#done.promise;
  }

  report(): Record<string, unknown> {
    return isReporter(this.state) ? this.state.report() : {};
  }
}

/**
 * A manifold with no inputs whose output is the State.
 * @throws NotValidError "missing URL not valid", "missing Clock not valid" or "missing Logger not valid".
 */
export function stateManifold(config: StateManifoldConfig): Manifold {
  const c = config as Partial<StateManifoldConfig>;
  if (typeof c.url !== 'string' || c.url === '') throw new NotValidError('missing URL not valid');
  if (c.clock === undefined) throw new NotValidError('missing Clock not valid');
  if (c.logger === undefined) throw new NotValidError('missing Logger not valid');
  return {
    inputs: [],
    async start(ctx: ManifoldContext): Promise<Worker> {
      const state = await openState(config.url, {
        clock: config.clock,
        logger: config.logger,
        ...(config.retention === undefined ? {} : { retention: config.retention }),
        ...(config.registry === undefined ? {} : { registry: config.registry }),
        ...(config.limits === undefined ? {} : { limits: config.limits }),
        ...(config.peers === undefined ? {} : { peers: config.peers }),
      });
      if (ctx.signal.aborted) {
        await state.close();
        throw asError(ctx.signal.reason);
      }
      return new StateWorker(state);
    },
    output: (worker: Worker): unknown => (worker instanceof StateWorker ? worker.state : undefined),
  };
}
