// What the engine runs: named manifolds that declare inputs and start workers from them.
import { ModelwatchError } from '../core/index.js';
import type { Worker } from '../core/index.js';

/** Given to a manifold's start: access to its declared inputs' outputs. */
export interface ManifoldContext {
  /**
   * The output of a declared input.
   * @throws ErrMissing when that input is not running; an Error for an undeclared name.
   */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the resource type it expects, as Juju's Output does
  getResource<T>(name: string): T;
  /** Aborted when the engine abandons this start attempt (engine dying, or an input bounced). */
  readonly signal: AbortSignal;
}

/** A named unit of a dependency engine (Juju's dependency.Manifold). */
export interface Manifold {
  /** Names of the manifolds whose outputs start() may read. */
  readonly inputs: readonly string[];
  /** Starts the worker. Rejecting with ErrMissing waits for the inputs to change instead of retrying. */
  start(ctx: ManifoldContext): Promise<Worker>;
  /** The resource dependents get from the running worker; default: the worker itself. */
  output?(worker: Worker): unknown;
  /** Maps the error the worker (or start) failed with; undefined means a clean stop. */
  filter?(err: Error): Error | undefined;
}

/** Manifolds by name. */
export type Manifolds = Readonly<Record<string, Manifold>>;

/** A required input is not running: start again when inputs change, not on a timer. */
export const ErrMissing: Error = new ModelwatchError('NotFound', 'dependency not available');
/** The manifold should be removed from the engine for good. */
export const ErrUninstall: Error = new ModelwatchError('Stopped', 'resource permanently unavailable');
/** Restart the manifold at once (after the short bounce delay), without back-off. */
export const ErrBounce: Error = new ModelwatchError('Stopped', 'restart immediately');

function causes(err: unknown, sentinel: Error): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 16; e = e.cause, depth++) {
    if (e === sentinel) return true;
  }
  return false;
}

/** True for ErrMissing, also when wrapped as a `cause`. */
export const isErrMissing = (err: unknown): boolean => causes(err, ErrMissing);
/** True for ErrUninstall, also when wrapped as a `cause`. */
export const isErrUninstall = (err: unknown): boolean => causes(err, ErrUninstall);
/** True for ErrBounce, also when wrapped as a `cause`. */
export const isErrBounce = (err: unknown): boolean => causes(err, ErrBounce);
