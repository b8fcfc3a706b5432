// The token by which newDeadWatcher and newDeadPingBatcher build a component that is dead from the
// start. Not exported from index.ts, so callers cannot construct one by accident.
import type { Clock } from '../core/index.js';

/** Constructs a presence worker already dead of `err`. */
export class DeadMark {
  constructor(readonly err: Error) {}
}

/** A clock whose timers never fire, for components that are dead from the start. */
export const inertClock: Clock = { now: () => 0, setTimeout: () => ({ cancel: () => undefined }) };
