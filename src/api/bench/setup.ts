// Setup for the API benchmark: the machine line, the open-file limit, the seeded users, REST calls
// and memory samples of this (the controller's) process.
import { execFileSync } from 'node:child_process';
import { randomBytes, scryptSync } from 'node:crypto';
import os from 'node:os';
import { nullLogger } from '../../core/index.js';
import { openState } from '../../state/index.js';
import { hashPassword } from '../index.js';

export function machine(): Record<string, unknown> {
  return { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, ramGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAvg1m: Math.round(os.loadavg()[0] ?? 0), shared: true };
}

/** Soft and hard open-file limits of this process (read through bash: Node has no getrlimit). */
export function openFileLimits(): { soft: number; hard: number } {
  const out = execFileSync('bash', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' }).trim().split('\n');
  const num = (s: string | undefined): number => (s === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(s));
  return { soft: num(out[0]), hard: num(out[1]) };
}

/**
 * A scrypt hash at a low cost (N = 2^8) in the stored format. The load generators' user has one so
 * that 10,000 logins take seconds, not minutes: the default cost (N = 2^14) is measured separately.
 */
export function cheapHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFC'), salt, 32, { N: 256, r: 8, p: 1 });
  return `scrypt$256$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Seeds an empty database with `admin` (default cost) and the superuser `bench` (cheap hash). */
export async function seedUsers(db: string, adminPassword: string, benchPassword: string): Promise<void> {
  const state = await openState(db, { logger: nullLogger });
  try {
    const users = state.users();
    const createdAt = Date.now();
    await users.addUser({ name: 'admin', displayName: 'admin', passwordHash: await hashPassword(adminPassword), controllerAccess: 'superuser', createdAt });
    await users.addUser({ name: 'bench', displayName: 'bench', passwordHash: cheapHash(benchPassword), controllerAccess: 'superuser', createdAt });
  } finally {
    await state.close();
  }
}

/** A REST call with a bearer token or Basic credentials; throws on a non-2xx status. */
export async function rest(base: string, method: string, path: string, auth: { token?: string; basic?: string }, body?: unknown): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth.token !== undefined) headers.authorization = `Bearer ${auth.token}`;
  if (auth.basic !== undefined) headers.authorization = `Basic ${Buffer.from(auth.basic).toString('base64')}`;
  const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

/** RSS and heap of this process after full GCs (needs --expose-gc). */
export async function settledMemory(): Promise<{ rss: number; heapUsed: number; external: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 200));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external + m.arrayBuffers };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
