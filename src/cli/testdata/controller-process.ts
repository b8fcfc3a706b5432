// Real `modelwatch serve` and `modelwatch <command>` child processes for end-to-end tests, run from
// source with tsx (no build step). Real time is used only to wait for the child's I/O.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

/**
 * True when the controller's pieces are in the tree: the serve command, the RPC facades, the REST
 * handler, and a state store with users (what `serve` wires). Until then the end-to-end suites skip.
 */
export function serverPiecesReady(): boolean {
  const has = (p: string): boolean => existsSync(new URL(`../../${p}`, import.meta.url));
  if (!has('cli/serve.ts') || !has('api/facades/index.ts') || !has('api/rest/rest-handler.ts') || !has('api/controller/controller.ts')) return false;
  const stateTs = new URL('../../state/state.ts', import.meta.url);
  return existsSync(stateTs) && /\busers\s*\(/.test(readFileSync(stateTs, 'utf8'));
}

/** A port nothing listens on right now (bound to 0, then closed). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A running controller child. */
export interface ControllerProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM, then waits for exit. */
  stop(): Promise<void>;
}

/** Starts `modelwatch serve` on `port` with a SQLite file and waits for /healthz. */
export async function startController(dbPath: string, port: number, adminPassword: string): Promise<ControllerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--db', `sqlite:${dbPath}`, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn'], {
    cwd: REPO, env: { ...process.env, MODELWATCH_ADMIN_PASSWORD: adminPassword }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`modelwatch serve exited ${child.exitCode}: ${log}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`modelwatch serve not healthy within 45 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Outcome of a CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `modelwatch <args>` to completion. */
export function runModelwatch(args: readonly string[], env: Record<string, string>, stdin = ''): Promise<CliResult> {
  const child = spawnModelwatch(args, env);
  child.stdin?.end(stdin);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

/** Starts `modelwatch <args>` and leaves it running. */
export function spawnModelwatch(args: readonly string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Waits until `probe()` is true (polling every 50 ms), else throws `what`. */
export async function waitFor(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
