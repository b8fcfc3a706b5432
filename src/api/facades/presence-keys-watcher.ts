// A Presence watcher behind an RPC id (spec/protocol.md §6.3): the first Next gives every watched
// agent's status, later ones block until some agent's status differs from what was last reported
// (transitions only, coalesced per key). Listens to the model's shared PresenceWatcher and moves
// to its replacement when it dies.
import { deferred } from '../../core/index.js';
import type { Deferred, TimerHandle } from '../../core/index.js';
import type { Change, PresenceWatcher } from '../../presence/index.js';
import type { ControllerServices } from '../services.js';
import { rpcErrors } from '../rpc/rpc-error.js';
import type { RpcWatcher } from './watcher-table.js';

/** Delay before looking for the replacement of a dead presence watcher (spec/presence.md §7: 1 s). */
const RESUBSCRIBE_DELAY_MS = 1000;

/** One watched agent: its tag (as the client named it) and its presence key. */
export interface WatchedAgent {
  readonly tag: string;
  readonly key: string;
}

/** See the file comment. */
export class PresenceKeysWatcher implements RpcWatcher {
  readonly #services: ControllerServices;
  readonly #modelUUID: string;
  readonly #agents: readonly WatchedAgent[];
  readonly #tagOfKey = new Map<string, string>();
  /** Latest status heard per tag; #reported: last status answered per tag. */
  readonly #current = new Map<string, boolean>();
  readonly #reported = new Map<string, boolean>();
  readonly #listener = (c: Change): void => this.#heard(c);
  #watcher: PresenceWatcher;
  #first = true;
  #stopped = false;
  /** Woken when a status changes or the watcher stops; undefined while no Next waits. */
  #wake: Deferred<void> | undefined;
  #retry: TimerHandle | undefined;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(services: ControllerServices, modelUUID: string, agents: readonly WatchedAgent[]) {
    this.#services = services;
    this.#modelUUID = modelUUID;
    this.#agents = agents;
    for (const a of agents) this.#tagOfKey.set(a.key, a.tag);
    this.#watcher = services.presence.watcherFor(modelUUID);
    this.#subscribe(this.#watcher);
  }

  next(): Promise<Record<string, unknown>> {
    const run = (): Promise<Record<string, unknown>> => this.#next();
    const p = this.#chain.then(run, run);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  stop(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#stopped = true;
    this.#retry?.cancel();
    for (const a of this.#agents) this.#watcher.unwatch(a.key, this.#listener);
    this.#wake?.resolve();
    return Promise.resolve();
  }

  async #next(): Promise<Record<string, unknown>> {
    if (this.#stopped) throw rpcErrors.watcherStopped();
    if (this.#first) {
      this.#first = false;
      const changes = [];
      for (const a of this.#agents) {
        const alive = await this.#aliveNow(a);
        this.#current.set(a.tag, alive);
        this.#reported.set(a.tag, alive);
        changes.push({ key: a.tag, alive });
      }
      if (this.#isStopped()) throw rpcErrors.watcherStopped();
      return { changes };
    }
    for (;;) {
      const changes = [];
      for (const a of this.#agents) {
        const alive = this.#current.get(a.tag);
        if (alive !== undefined && alive !== this.#reported.get(a.tag)) changes.push({ key: a.tag, alive });
      }
      if (changes.length > 0) {
        for (const c of changes) this.#reported.set(c.key, c.alive);
        return { changes };
      }
      this.#wake = deferred<void>();
      await this.#wake.promise;
      this.#wake = undefined;
      if (this.#isStopped()) throw rpcErrors.watcherStopped();
    }
  }

  /** The status at the watcher's last read (after its first one); a dying watcher: last heard, else dead. */
  async #aliveNow(a: WatchedAgent): Promise<boolean> {
    try {
      return await this.#watcher.alive(a.key);
    } catch {
      return this.#current.get(a.tag) ?? false;
    }
  }

  /** Read through a call: stop() may run while a Next awaits (the compiler cannot see that). */
  #isStopped(): boolean {
    return this.#stopped;
  }

  #heard(c: Change): void {
    const tag = this.#tagOfKey.get(c.key);
    if (tag === undefined || this.#stopped) return;
    this.#current.set(tag, c.alive);
    if (c.alive !== this.#reported.get(tag)) this.#wake?.resolve();
  }

  #subscribe(w: PresenceWatcher): void {
    for (const a of this.#agents) w.watch(a.key, this.#listener);
    void w.dead.then(() => {
      if (!this.#stopped && this.#watcher === w) this.#resubscribeLater();
    });
  }

  /** Re-watches on the replacement (its initial events give the current state). */
  #resubscribeLater(): void {
    this.#retry = this.#services.clock.setTimeout(() => {
      this.#retry = undefined;
      if (this.#stopped) return;
      const next = this.#services.presence.watcherFor(this.#modelUUID);
      if (next === this.#watcher || next.err() !== undefined) {
        this.#resubscribeLater();
        return;
      }
      this.#watcher = next;
      this.#subscribe(next);
    }, RESUBSCRIBE_DELAY_MS);
  }
}
