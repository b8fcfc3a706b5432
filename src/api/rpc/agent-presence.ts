// An agent connection's presence pinger (spec/presence.md §7): started at Login through the
// controller's batcher (retried every 3 s while the connection lives; Login never fails for it),
// then a batcher sync and a doorbell ring so watchers see the agent alive within tens of ms.
// A clean disconnect kills it (dead within about 1 s); a controller shutdown only stops it.
import { errorMessage } from '../../core/index.js';
import type { Logger, TimerHandle } from '../../core/index.js';
import { Pinger } from '../../presence/index.js';
import type { ControllerServices } from '../services.js';

/** Delay between failed pinger starts (spec/presence.md §7: 3 s). */
const START_RETRY_MS = 3000;

/** See the file comment. */
export class AgentPresence {
  readonly #services: ControllerServices;
  readonly #modelUUID: string;
  readonly #key: string;
  readonly #logger: Logger;
  readonly #pinger: Pinger;
  #retry: TimerHandle | undefined;
  /** True once a start succeeded: only a pinger that pinged is killed (else nothing to undo). */
  #started = false;
  #closed = false;
  #failedStarts = 0;
  /** The start in flight (settles after #started is set); close() waits for it before killing. */
  #starting: Promise<void> | undefined;

  constructor(services: ControllerServices, modelUUID: string, key: string) {
    this.#services = services;
    this.#modelUUID = modelUUID;
    this.#key = key;
    this.#logger = services.logger;
    this.#pinger = new Pinger({
      store: services.presence.store, modelUUID, key, clock: services.clock, logger: services.logger,
      recorder: () => services.presence.recorder(), period: services.presence.periodMs,
    });
  }

  /** Starts in the background; returns at once. */
  start(): void {
    void this.#attempt();
  }

  /** `kill`: a disconnect (record dead now); `stop`: controller shutdown (let the window expire). */
  async close(mode: 'kill' | 'stop'): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#retry?.cancel();
    this.#retry = undefined;
    await this.#starting?.catch(() => undefined);
    try {
      if (mode === 'kill' && this.#started) await this.#pinger.killForTesting();
      else await this.#pinger.stop();
    } catch (err) {
      this.#logger.warn('cannot record agent death', { key: this.#key, 'model-uuid': this.#modelUUID, err: errorMessage(err) });
    }
  }

  report(): Record<string, unknown> {
    return { ...this.#pinger.report(), 'failed-starts': this.#failedStarts, closed: this.#closed };
  }

  /** Read through a call: close() may run while a start awaits (the compiler cannot see that). */
  #isClosed(): boolean {
    return this.#closed;
  }

  async #attempt(): Promise<void> {
    if (this.#closed) return;
    const starting = this.#pinger.start().then(() => {
      this.#started = true;
    });
    this.#starting = starting;
    try {
      await starting;
    } catch (err) {
      if (this.#isClosed()) return;
      this.#failedStarts++;
      this.#logger.warn('cannot start agent pinger; retrying in 3 s', { key: this.#key, 'model-uuid': this.#modelUUID, err: errorMessage(err) });
      this.#retry = this.#services.clock.setTimeout(() => void this.#attempt(), START_RETRY_MS);
      return;
    }
    if (this.#isClosed()) return;
    try {
      await this.#services.presence.syncBatcher();
    } catch (err) {
      this.#logger.warn('cannot sync ping batcher after agent login', { key: this.#key, err: errorMessage(err) });
    }
    this.#services.presence.store.ring(this.#modelUUID);
  }
}
