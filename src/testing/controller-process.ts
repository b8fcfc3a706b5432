// A real `modelwatch serve` in a child process, for end-to-end tests: picks a free port, waits for
// /healthz, and stops it with SIGTERM (graceful) or SIGKILL (crash).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../cli/main.ts', import.meta.url));

/** A running controller process. */
export interface ControllerProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (a crash) and wait for exit. */
  kill9(): Promise<void>;
}

/** A port that was free a moment ago (bound to 127.0.0.1:0, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Starts `modelwatch serve --db <db> --listen 127.0.0.1:<port>` (port given or free). */
export async function startControllerProcess(opts: {
  db: string;
  port?: number;
  adminPassword?: string;
  args?: readonly string[];
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** PEM files: serve https/wss; readiness is checked with this CA (the self-signed cert). */
  tls?: { cert: string; key: string };
}): Promise<ControllerProcess> {
  const port = opts.port ?? (await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--db', opts.db, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn',
    ...(opts.tls ? ['--tls-cert', opts.tls.cert, '--tls-key', opts.tls.key] : []), ...(opts.args ?? [])], {
    env: { ...process.env, MODELWATCH_ADMIN_PASSWORD: opts.adminPassword ?? 'admin-pw', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const ca = opts.tls ? readFileSync(opts.tls.cert) : undefined;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`controller exited with ${child.exitCode} before it was ready:\n${out}`);
    try {
      if (await healthy(`${url}/healthz`, ca)) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`controller not ready after ${opts.readyTimeoutMs ?? 30_000} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, port, child,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** GET /healthz, over https with the given CA when there is one. */
async function healthy(url: string, ca: Buffer | undefined): Promise<boolean> {
  if (ca === undefined) return (await fetch(url)).ok;
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).once('error', reject);
  });
}
