// modelwatch/worker: worker lifecycle helpers on top of core's Worker contract.

export type { Worker, Reporter } from '../core/index.js';
/** `deadWorker(err)`: a worker already dead of err (wait() rejects with it; kill() is a no-op). */
export { deadWorker } from './dead-worker.js';
/**
 * `Catacomb.invoke({ work, init })`: runs a loop that owns child workers; a child's error kills it,
 * kill propagates to children, wait() reports the first error. `runWorker(loop)`: a single loop.
 */
export { Catacomb, runWorker } from './catacomb.js';
export type { CatacombPlan } from './catacomb.js';
