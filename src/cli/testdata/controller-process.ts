// Real `modelwatch serve` and `modelwatch <command>` child processes for end-to-end tests, run from
// source with tsx (no build step). Real time is used only to wait for the child's I/O.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startControllerProcess } from '../../testing/index.js';
export { waitFor } from '../../testing/index.js';
import type { ControllerProcess } from '../../testing/index.js';

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

/** Starts `modelwatch serve` on `port` with a SQLite file and waits for /healthz. */
export function startController(dbPath: string, port: number, adminPassword: string): Promise<ControllerProcess> {
  return startControllerProcess({ db: `sqlite:${dbPath}`, port, adminPassword, readyTimeoutMs: 45_000 });
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
