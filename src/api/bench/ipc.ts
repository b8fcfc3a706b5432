// IPC between the benchmark (parent, hosting the controller) and its load-generator children. Every
// message is a JSON object with a `type`; the parent awaits a given type with a time bound. A child
// exits when its parent goes away, and after a hard lifetime, so nothing outlives the run.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface Message {
  type: string;
  [key: string]: unknown;
}

/** Parent side of one child. */
export class Child {
  readonly name: string;
  readonly #proc: ChildProcess;
  readonly #inbox: Message[] = [];
  readonly #waiters: Array<{ type: string; resolve: (m: Message) => void }> = [];
  readonly #exited: Promise<number | null>;

  constructor(name: string, proc: ChildProcess) {
    this.name = name;
    this.#proc = proc;
    proc.on('message', (m: Message) => {
      const i = this.#waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) this.#waiters.splice(i, 1)[0]?.resolve(m);
      else this.#inbox.push(m);
    });
    this.#exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }

  send(m: Message): void {
    if (this.#proc.connected) this.#proc.send(m);
  }

  /** The next message of `type` (queued or future); rejects after `timeoutMs` or if the child exits. */
  async next(type: string, timeoutMs: number): Promise<Message> {
    const i = this.#inbox.findIndex((m) => m.type === type);
    if (i >= 0) return this.#inbox.splice(i, 1)[0] as Message;
    let timer: NodeJS.Timeout | undefined;
    const waiter = { type, resolve: (_m: Message): void => {} };
    try {
      return await Promise.race([
        new Promise<Message>((resolve) => {
          waiter.resolve = resolve;
          this.#waiters.push(waiter);
        }),
        new Promise<Message>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${this.name}: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
        }),
        this.#exited.then((code) => {
          throw new Error(`${this.name} exited (${String(code)}) while waiting for "${type}"`);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      const w = this.#waiters.indexOf(waiter);
      if (w >= 0) this.#waiters.splice(w, 1);
    }
  }

  /** Asks the child to stop; SIGKILL (this pid only) if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return;
    this.send({ type: 'exit' });
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}

/**
 * Spawns `node --import tsx <script>` under bash with the open-file limit raised to the hard limit
 * (Node cannot call setrlimit); stdout/stderr inherited, IPC on fd 3.
 */
export function spawnChild(name: string, script: string, env: Record<string, string> = {}): Child {
  const cmd = `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "${process.execPath}" --import tsx "${script}"`;
  const proc = spawn('bash', ['-c', cmd], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env, BENCH_CHILD_NAME: name },
  });
  return new Child(name, proc);
}

/** Child side: sends to the parent and dispatches its commands; exits with it. */
export function childChannel(onCommand: (m: Message) => void | Promise<void>, maxLifetimeMs = 20 * 60_000): (m: Message) => void {
  const send = (m: Message): void => {
    if (process.connected) process.send?.(m);
  };
  process.on('disconnect', () => process.exit(0));
  process.on('message', (m: Message) => {
    if (m.type === 'exit') {
      process.exit(0);
    }
    Promise.resolve(onCommand(m)).catch((err: unknown) => send({ type: 'error', message: String(err) }));
  });
  setTimeout(() => {
    console.error(`${process.env.BENCH_CHILD_NAME ?? 'child'}: lifetime of ${maxLifetimeMs} ms exceeded, exiting`);
    process.exit(3);
  }, maxLifetimeMs).unref();
  return send;
}
