// Cross-process presence on PostgreSQL: a pinger in one controller process, a watcher in another,
// both directions; start and clean disconnect travel through the shared tables and the NOTIFY
// doorbell. Real time is used only to wait for the child processes (generous bounds, no speed asserts).
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describePostgres } from '../../testing/index.js';
import type { TestDatabase } from '../../testing/index.js';
import { openState } from '../open-state.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata', 'presence-child.ts');

/** A child controller: send commands, wait for events matching a predicate. */
class Child {
  readonly events: Record<string, unknown>[] = [];
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #waiters: { pred: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }[] = [];
  #stderr = '';

  constructor(url: string) {
    this.#proc = spawn(process.execPath, ['--import', 'tsx', CHILD, url], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#proc.stderr.on('data', (d: Buffer) => (this.#stderr = (this.#stderr + d.toString()).slice(-4000)));
    createInterface({ input: this.#proc.stdout }).on('line', (line) => {
      const e = JSON.parse(line) as Record<string, unknown>;
      this.events.push(e);
      for (const w of [...this.#waiters]) {
        if (w.pred(e)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    });
  }

  send(cmd: Record<string, unknown>): void {
    this.#proc.stdin.write(`${JSON.stringify(cmd)}\n`);
  }

  /** Resolves with the first event from index `from` on (past or future) matching pred; fails after 30 s. */
  waitFor(pred: (e: Record<string, unknown>) => boolean, what: string, from = 0): Promise<Record<string, unknown>> {
    const seen = this.events.slice(from).find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; stderr: ${this.#stderr}`)), 30_000);
      this.#waiters.push({ pred, resolve: (e) => {
        clearTimeout(timer);
        resolve(e);
      } });
    });
  }

  async exit(): Promise<void> {
    const gone = new Promise((r) => this.#proc.once('exit', r));
    this.send({ cmd: 'exit' });
    await gone;
  }
}

const change = (key: string, alive: boolean) => (e: Record<string, unknown>) => e.ev === 'change' && e.key === key && e.alive === alive;

describePostgres('presence across processes (PostgreSQL)', () => {
  let db: TestDatabase;
  let a: Child;
  let b: Child;
  beforeAll(async () => {
    db = await createTestDatabase('presence_xp');
    const state = await openState(db.url); // migrate once, before two processes race to
    await state.close();
    a = new Child(db.url);
    b = new Child(db.url);
    await Promise.all([a.waitFor((e) => e.ev === 'ready', 'a ready'), b.waitFor((e) => e.ev === 'ready', 'b ready')]);
  });
  afterAll(async () => {
    await Promise.all([a.exit(), b.exit()]);
    await db.drop();
  });

  for (const direction of ['a pings, b watches', 'b pings, a watches'] as const) {
    it(`start and kill are seen in the other process: ${direction}`, async () => {
      const [pinging, watching] = direction.startsWith('a') ? [a, b] : [b, a];
      const model = randomUUID();
      const key = `u#xp-${direction[0] ?? ''}/0`;
      watching.send({ cmd: 'watch', model, key });
      await watching.waitFor(change(key, false), 'initial dead');
      pinging.send({ cmd: 'ping-start', model, key });
      await pinging.waitFor((e) => e.ev === 'started', 'started');
      await watching.waitFor(change(key, true), 'alive via the doorbell');
      const mark = watching.events.length;
      pinging.send({ cmd: 'ping-kill' });
      await watching.waitFor(change(key, false), 'dead via the doorbell', mark);
      const changes = watching.events.filter((e) => e.ev === 'change' && e.key === key).map((e) => e.alive);
      expect(changes).toEqual([false, true, false]);
    });
  }
});
