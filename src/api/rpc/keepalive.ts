// WebSocket keepalive (spec/protocol.md §1, spec/presence.md §7): a ping frame every interval; a
// connection that missed two pongs (and sent nothing else) is dead. Never requires Pinger.Ping.
import type { Clock, TimerHandle } from '../../core/index.js';

/** Pings missed in a row before the peer is declared dead. */
const MAX_MISSED_PONGS = 2;

/** See the file comment. */
export class Keepalive {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #ping: () => void;
  readonly #onDead: () => void;
  /** Pings sent since the peer was last heard from. */
  #missed = 0;
  #timer: TimerHandle | undefined;

  constructor(opts: { clock: Clock; intervalMs: number; ping: () => void; onDead: () => void }) {
    this.#clock = opts.clock;
    this.#intervalMs = opts.intervalMs;
    this.#ping = opts.ping;
    this.#onDead = opts.onDead;
    this.#arm();
  }

  /** The peer answered a ping or sent a message. */
  heard(): void {
    this.#missed = 0;
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#missed >= MAX_MISSED_PONGS) {
        this.#onDead();
        return;
      }
      this.#missed++;
      this.#ping();
      this.#arm();
    }, this.#intervalMs);
  }
}
