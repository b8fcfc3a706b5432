// The units in one relation's scope, held in memory, with watchers that see a snapshot first and
// then each change: a stand-in for the controller side in agent and sender tests.
import type { RelationUnitsChange } from '../hook.js';
import { FakeRelationUnitsWatcher } from './fake-watcher.js';

/** Remote units in scope and their settings versions; `watch()` gives live watchers. */
export class MemoryRelationUnits {
  readonly #units = new Map<string, number>();
  readonly #watchers = new Set<FakeRelationUnitsWatcher>();

  /** Puts `unit` in scope (or changes its settings) at `version`. */
  enter(unit: string, version = 0): void {
    this.#units.set(unit, version);
    this.#broadcast({ changed: { [unit]: { version } }, departed: [] });
  }

  /** Bumps `unit`'s settings version by one. @throws when the unit is not in scope. */
  bump(unit: string): number {
    const version = this.#units.get(unit);
    if (version === undefined) throw new Error(`unit ${JSON.stringify(unit)} not in scope`);
    this.enter(unit, version + 1);
    return version + 1;
  }

  /** Takes `unit` out of scope (a no-op for units not in scope). */
  leave(unit: string): void {
    if (!this.#units.delete(unit)) return;
    this.#broadcast({ changed: {}, departed: [unit] });
  }

  /** The units in scope now. */
  units(): Map<string, number> {
    return new Map(this.#units);
  }

  /** The full state as a first change. */
  snapshot(): RelationUnitsChange {
    const changed: Record<string, { version: number }> = {};
    for (const [unit, version] of this.#units) changed[unit] = { version };
    return { changed, departed: [] };
  }

  /** A watcher whose first change is the snapshot; it stops receiving once stopped. */
  watch(): FakeRelationUnitsWatcher {
    const watcher = new FakeRelationUnitsWatcher();
    watcher.send(this.snapshot());
    this.#watchers.add(watcher);
    const stop = watcher.stop.bind(watcher);
    watcher.stop = () => {
      this.#watchers.delete(watcher);
      return stop();
    };
    return watcher;
  }

  #broadcast(change: RelationUnitsChange): void {
    for (const watcher of this.#watchers) watcher.send(change);
  }
}
