// modelwatch/dependency: the dependency engine that wires a controller process from named manifolds.

/**
 * `Engine`: runs manifolds; starts each once its inputs run; restarts failures with capped exponential
 * back-off on the injected Clock; bounces dependents when an input restarts; `report()` per manifold.
 * Throws NotValidError for a bad config or install.
 */
export { Engine } from './engine.js';
export type { EngineConfig, SlotState } from './engine.js';
/** Manifold shapes and the sentinel errors a start or worker may return (also when wrapped as cause). */
export { ErrMissing, ErrUninstall, ErrBounce, isErrMissing, isErrUninstall, isErrBounce } from './manifold.js';
export type { Manifold, ManifoldContext, Manifolds } from './manifold.js';
