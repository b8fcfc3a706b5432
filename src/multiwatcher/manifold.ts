// The multiwatcher as a dependency-engine manifold (upstream worker/multiwatcher/manifold.go): its
// input is the state resource; its output is the worker itself, which dependents use as a watcher
// factory (watchModel / watchController).
import type { Registry } from 'prom-client';
import type { AllWatcherBacking, Clock, Logger, Worker } from '../core/index.js';
import { asError, NotValidError } from '../core/index.js';
import type { Manifold, ManifoldContext } from '../dependency/index.js';
import type { MultiwatcherConfig } from './config.js';
import { MultiwatcherWorker } from './worker.js';

/** Configuration of the multiwatcher manifold. */
export interface MultiwatcherManifoldConfig {
  /** Name of the input whose resource yields the backing (e.g. the state manifold). */
  stateName: string;
  clock: Clock;
  logger: Logger;
  registry?: Registry;
  retainRevisions?: number;
  /**
   * Makes the backing from the input's resource. Default: the resource's `allWatcherBacking()`, or the
   * resource itself when it is a backing.
   */
  newBacking?: (resource: unknown) => AllWatcherBacking;
}

/**
 * A manifold whose worker is a MultiwatcherWorker fed by the state input's backing.
 * @throws NotValidError "missing StateName not valid", "missing Clock not valid", "missing Logger not valid".
 */
export function multiwatcherManifold(config: MultiwatcherManifoldConfig): Manifold {
  const c = config as Partial<MultiwatcherManifoldConfig>;
  if (typeof c.stateName !== 'string' || c.stateName === '') throw new NotValidError('missing StateName not valid');
  if (c.clock === undefined) throw new NotValidError('missing Clock not valid');
  if (c.logger === undefined) throw new NotValidError('missing Logger not valid');
  const newBacking = config.newBacking ?? defaultBacking;
  return {
    inputs: [config.stateName],
    start(ctx: ManifoldContext): Promise<Worker> {
      try {
        if (ctx.signal.aborted) throw asError(ctx.signal.reason);
        const backing = newBacking(ctx.getResource<unknown>(config.stateName));
        const workerConfig: MultiwatcherConfig = { clock: config.clock, logger: config.logger, backing };
        if (config.registry !== undefined) workerConfig.registry = config.registry;
        if (config.retainRevisions !== undefined) workerConfig.retainRevisions = config.retainRevisions;
        return Promise.resolve(new MultiwatcherWorker(workerConfig));
      } catch (err) {
        return Promise.reject(asError(err));
      }
    },
    output: (worker: Worker): unknown => (worker instanceof MultiwatcherWorker ? worker : undefined),
  };
}

function defaultBacking(resource: unknown): AllWatcherBacking {
  if (typeof resource === 'object' && resource !== null) {
    const r = resource as Record<string, unknown>;
    if (typeof r.allWatcherBacking === 'function') return (r as { allWatcherBacking(): AllWatcherBacking }).allWatcherBacking();
    if (['getAll', 'changed', 'watch', 'unwatch'].every((m) => typeof r[m] === 'function')) return resource as AllWatcherBacking;
  }
  throw new NotValidError('missing Backing not valid');
}
