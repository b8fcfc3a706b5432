// Manifolds wiring presence into a controller's dependency engine (spec §7): one PingBatcher per
// process, a PruneSchedule, and PresenceWatchers (a watcher per model, restarted 1 s after death).
import type { Registry } from 'prom-client';
import { ModelwatchError } from '../core/index.js';
import type { Clock, Logger, Random } from '../core/index.js';
import type { Manifold, ManifoldContext } from '../dependency/index.js';
import { DEFAULT_FLUSH_INTERVAL_MS } from './limits.js';
import { PingBatcher } from './ping-batcher.js';
import { PruneSchedule } from './prune-schedule.js';
import type { PresenceStore } from './store.js';
import { PresenceWatchers } from './watcher-factory.js';

/** What every presence manifold needs: where the store comes from, and time. */
export interface PresenceManifoldConfig {
  /** Name of the input whose output is a PresenceStore, or has `presenceStore()` (a State). */
  storeName: string;
  clock: Clock;
  logger?: Logger;
  registry?: Registry;
  random?: Random;
  /** P in ms (default 30 000); the same for every component. */
  period?: number;
}

/** The PresenceStore behind an input's output: the output itself, or its `presenceStore()`. */
export function presenceStoreOf(resource: unknown): PresenceStore {
  if (typeof resource === 'object' && resource !== null) {
    const r = resource as { presenceStore?: unknown; allocate?: unknown; readPings?: unknown };
    if (typeof r.presenceStore === 'function') return (r.presenceStore as () => PresenceStore).call(resource);
    if (typeof r.allocate === 'function' && typeof r.readPings === 'function') return resource as PresenceStore;
  }
  throw new ModelwatchError('NotValid', 'input is neither a PresenceStore nor has presenceStore()');
}

function common(cfg: PresenceManifoldConfig, ctx: ManifoldContext) {
  const store = presenceStoreOf(ctx.getResource<unknown>(cfg.storeName));
  return {
    store, clock: cfg.clock,
    ...(cfg.logger === undefined ? {} : { logger: cfg.logger }),
    ...(cfg.registry === undefined ? {} : { registry: cfg.registry }),
    ...(cfg.random === undefined ? {} : { random: cfg.random }),
  };
}

/** The controller's one PingBatcher (output: the batcher; pingers use `recorder: () => current`). */
export function pingBatcherManifold(cfg: PresenceManifoldConfig & { flushInterval?: number }): Manifold {
  return {
    inputs: [cfg.storeName],
    start: (ctx) => Promise.resolve(new PingBatcher({ ...common(cfg, ctx), flushInterval: cfg.flushInterval ?? DEFAULT_FLUSH_INTERVAL_MS })),
  };
}

/** Prunes `models()` about every `interval` ms (default 10 min). */
export function presencePrunerManifold(cfg: PresenceManifoldConfig & { models: () => readonly string[] | Promise<readonly string[]>; interval?: number }): Manifold {
  return {
    inputs: [cfg.storeName],
    start: (ctx) => Promise.resolve(new PruneSchedule({
      ...common(cfg, ctx), models: cfg.models,
      ...(cfg.period === undefined ? {} : { period: cfg.period }),
      ...(cfg.interval === undefined ? {} : { interval: cfg.interval }),
    })),
  };
}

/** PresenceWatchers: a watcher per model on demand, each restarted 1 s after it dies. */
export function presenceWatchersManifold(cfg: PresenceManifoldConfig & { skewTolerance?: number; restartDelay?: number }): Manifold {
  return {
    inputs: [cfg.storeName],
    start: (ctx) => Promise.resolve(new PresenceWatchers({
      ...common(cfg, ctx),
      ...(cfg.period === undefined ? {} : { period: cfg.period }),
      ...(cfg.skewTolerance === undefined ? {} : { skewTolerance: cfg.skewTolerance }),
      ...(cfg.restartDelay === undefined ? {} : { restartDelay: cfg.restartDelay }),
    })),
  };
}
