// WAL checkpoints off the writer's thread. SQLite's automatic checkpoint runs inside the commit that
// crosses 1,000 WAL pages and fsyncs the WAL and the database there: with synchronous=NORMAL those
// are the only fsyncs, and they stalled the event loop for about half the wall time of a stream of
// single-change transactions. Here a worker thread with its own connection copies the WAL into the
// database (PASSIVE: it never blocks the writer) and fsyncs; the writer then checkpoints only the
// short tail appended meanwhile, so that its next transaction can restart the WAL from the start
// (SQLite restarts it only when every frame was copied before that transaction began).
// Durability is unchanged: commits still reach the WAL before apply resolves; checkpoints only move
// them into the database file.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { Logger } from '../../core/index.js';
import { errorMessage } from '../../core/index.js';

// The control word shared with the worker. The writer never waits for the worker's messages (a
// loop of applies that never yields would starve them): it reads this word after each commit.
const IDLE = 0;
const REQUESTED = 1;
const DONE = 2;
const FAILED = 3;
const CLOSE = 4;
/** Control word, then the last result: WAL frames, frames copied, passes. */
const SLOTS = 4;

// CommonJS source of the worker (eval: no file to locate under tsx, vitest or dist). It sleeps on the
// control word; on a request it repeats PASSIVE passes while the writer appended more than
// `tailFrames` during the previous one (at most 8), so the writer is left only a short tail.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const ctl = new Int32Array(workerData.control);
let db;
try {
  db = new (require(workerData.module))(workerData.path);
  db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
} catch (err) {
  Atomics.store(ctl, 0, ${FAILED});
  throw err;
}
for (;;) {
  let v = Atomics.load(ctl, 0);
  while (v === ${IDLE} || v === ${DONE} || v === ${FAILED}) { Atomics.wait(ctl, 0, v); v = Atomics.load(ctl, 0); }
  if (v === ${CLOSE}) break;
  try {
    let done = 0, passes = 0, r;
    do {
      r = db.pragma('wal_checkpoint(PASSIVE)')[0];
      passes++;
      if (r.log - done <= workerData.tailFrames) break;
      done = r.checkpointed;
    } while (passes < 8);
    ctl[1] = r.log; ctl[2] = r.checkpointed; ctl[3] = passes;
    Atomics.compareExchange(ctl, 0, ${REQUESTED}, ${DONE});
  } catch (err) {
    Atomics.compareExchange(ctl, 0, ${REQUESTED}, ${FAILED});
  }
}
db.close();`;

export interface CheckpointerConfig {
  /** The database file (not ':memory:'). */
  path: string;
  /** The writer's connection: the tail checkpoint runs on it. */
  db: SqliteDatabase;
  logger: Logger;
  /** Estimated WAL frames (one per changed row plus one per commit) between checkpoints. */
  framesPerCheckpoint: number;
  busyTimeoutMs: number;
}

export class WalCheckpointer {
  readonly #config: CheckpointerConfig;
  readonly #ctl = new Int32Array(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  /** Frames written (estimated) since the last checkpoint was requested. */
  #pendingFrames = 0;
  /** Set when the worker failed: the writer's connection checkpoints by itself again. */
  #failed = false;
  #closed = false;
  #checkpoints = 0;
  #writerCheckpoints = 0;

  constructor(config: CheckpointerConfig) {
    this.#config = config;
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        control: this.#ctl.buffer,
        module: createRequire(import.meta.url).resolve('better-sqlite3'),
        path: config.path,
        busyTimeoutMs: config.busyTimeoutMs,
        tailFrames: Math.max(1, Math.floor(config.framesPerCheckpoint / 32)),
      },
    });
    this.#worker.unref(); // a State left open must not keep the process alive
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.on('error', (err) => config.logger.error('state WAL checkpoint worker failed', { error: errorMessage(err) }));
    config.db.pragma('wal_autocheckpoint = 0');
    // A worker starved of CPU copies late and the WAL grows meanwhile; this trims it back when it
    // restarts (a size, not a bound: see committed()).
    config.db.pragma(`journal_size_limit = ${64 * 2 ** 20}`);
  }

  /** Called after each commit with the number of change rows it logged. */
  committed(changes: number): void {
    if (this.#failed || this.#closed) return;
    this.#pendingFrames += changes + 1;
    const state = Atomics.load(this.#ctl, 0);
    if (state === DONE) {
      this.#checkpoints++;
      Atomics.store(this.#ctl, 0, IDLE);
      // The tail: frames appended during the worker's last pass (few), so the next commit restarts the WAL.
      this.#checkpointOnWriter();
    } else if (state === FAILED) {
      this.#failed = true;
      this.#config.logger.error('state WAL checkpoint worker failed; checkpointing on the writer again');
      this.#config.db.pragma('wal_autocheckpoint = 1000');
    } else if (state === IDLE && this.#pendingFrames >= this.#config.framesPerCheckpoint) {
      this.#pendingFrames = 0;
      Atomics.store(this.#ctl, 0, REQUESTED);
      Atomics.notify(this.#ctl, 0);
    } else if (state === REQUESTED && this.#pendingFrames >= 8 * this.#config.framesPerCheckpoint) {
      // The worker is far behind (or never started): bound the WAL by checkpointing here.
      this.#pendingFrames = 0;
      this.#checkpointOnWriter();
    }
  }

  report(): Record<string, unknown> {
    return {
      'background-checkpoints': this.#checkpoints,
      'writer-checkpoints': this.#writerCheckpoints,
      'last-checkpoint': { log: this.#ctl[1], checkpointed: this.#ctl[2], passes: this.#ctl[3] },
      ...(this.#failed ? { 'checkpoint-worker': 'failed' } : {}),
    };
  }

  /** Stops the worker after its current pass; the writer's connection must still be open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#worker.ref(); // keep the process up until the worker has closed its connection
    Atomics.store(this.#ctl, 0, CLOSE);
    Atomics.notify(this.#ctl, 0);
    await this.#exited;
  }

  #checkpointOnWriter(): void {
    this.#writerCheckpoints++;
    try {
      this.#config.db.pragma('wal_checkpoint(PASSIVE)');
    } catch (err) {
      this.#config.logger.warn('state WAL checkpoint on the writer failed', { error: errorMessage(err) });
    }
  }
}
