// Background compaction of the change log on the Clock: keeps at least `retentionMs` of time and
// `retentionRevisions` revisions (whichever holds more) and deletes older rows in bounded rounds.
import type { Clock, Logger, TimerHandle } from '../core/index.js';
import { errorMessage } from '../core/index.js';
import type { StateDriver } from './driver.js';

export interface CompactorConfig {
  driver: StateDriver;
  clock: Clock;
  logger: Logger;
  retentionMs: number;
  retentionRevisions: number;
  intervalMs: number;
  batchRevisions: number;
  onFloor: (floor: number) => void;
}

export class Compactor {
  readonly #config: CompactorConfig;
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #rounds = 0;
  #floor = 0;
  #lastError: string | undefined;

  constructor(config: CompactorConfig) {
    this.#config = config;
    this.#arm(config.intervalMs);
  }

  report(): Record<string, unknown> {
    return {
      'compacted-revision': this.#floor,
      'compaction-rounds': this.#rounds,
      ...(this.#lastError === undefined ? {} : { 'compaction-error': this.#lastError }),
    };
  }

  /** Stops the timer and waits for a round in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#running;
  }

  #arm(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = this.#config.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#round().finally(() => {
        this.#running = undefined;
      });
    }, delayMs);
  }

  async #round(): Promise<void> {
    const c = this.#config;
    let more = false;
    try {
      const result = await c.driver.compact({
        keepRevisions: c.retentionRevisions,
        keepSinceMs: c.clock.now() - c.retentionMs,
        maxRevisions: c.batchRevisions,
      });
      this.#rounds++;
      this.#floor = result.floor;
      this.#lastError = undefined;
      c.onFloor(result.floor);
      more = result.more;
    } catch (err) {
      if (this.#stopped) return;
      this.#lastError = errorMessage(err);
      c.logger.warn('state compaction failed', { error: this.#lastError });
    }
    // A round that hit its batch bound continues at once (next turn), so the loop is never blocked long.
    this.#arm(more ? 0 : c.intervalMs);
  }
}
