// Model removals as the API server acts on them: one controller-wide multiwatcher watcher, filtered
// to removals of `model` entities, tells the server which models are gone, whichever path removed
// them (REST, RPC, a library user of the state, another controller on the same PostgreSQL). The
// server then ends that model's RPC connections, so a connected agent stops pinging a model that no
// longer exists and its clients learn at once instead of on their next call.
import { errorMessage } from '../../core/index.js';
import type { Logger } from '../../core/index.js';
import type { MultiwatcherWorker } from '../../multiwatcher/index.js';

/** A running watch of model removals. */
export interface ModelRemovals {
  /** Stops the watch; resolves once its loop has ended. */
  stop(): Promise<void>;
  report(): Record<string, unknown>;
}

/**
 * Calls `onRemoved(uuid)` for every model removed from now on. The watcher starts from the
 * multiwatcher's full state (which holds no removals, so nothing is reported for the past). It ends
 * quietly (logged) if the multiwatcher stops: the API server is restarted with it.
 */
export function watchModelRemovals(mw: MultiwatcherWorker, logger: Logger, onRemoved: (modelUUID: string) => void): ModelRemovals {
  const watcher = mw.watchShared(undefined, { filter: (d) => d.removed && d.entity.kind === 'model' });
  const run = { stopped: false, removed: 0 };
  // Read through a call: stop() sets it while the loop awaits.
  const stopped = (): boolean => run.stopped;
  const loop = (async (): Promise<void> => {
    while (!stopped()) {
      let batch;
      try {
        batch = await watcher.next();
      } catch (err) {
        if (!stopped()) logger.warn('model removal watch ended', { err: errorMessage(err) });
        return;
      }
      for (const d of batch) {
        run.removed++;
        try {
          onRemoved(d.entity.modelUUID);
        } catch (err) {
          logger.error('acting on a model removal failed', { 'model-uuid': d.entity.modelUUID, err: errorMessage(err) });
        }
      }
    }
  })();
  return {
    async stop(): Promise<void> {
      run.stopped = true;
      await watcher.stop().catch(() => undefined);
      await loop;
    },
    report: () => ({ 'models-removed': run.removed, stopped: run.stopped }),
  };
}
