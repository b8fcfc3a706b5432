// `modelwatch serve` options: flags first, then MODELWATCH_* environment variables, then defaults.
// Everything is validated here, so a misconfiguration fails at start with one clear line.
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { UsageError } from './commands/usage-error.js';
import { MAX_RETENTION_MS, MAX_TIMER_MS, parseStateUrl } from '../state/index.js';

/** Validated controller configuration. Times in ms. */
export interface ServeOptions {
  db: string;
  host: string;
  port: number;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  retentionMs: number;
  retentionRevisions: number;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  presencePeriodMs: number;
  adminPassword: string | undefined;
  dashboard: boolean;
  /** Controller processes (1: this process alone; more: a primary forking that many workers). */
  workers: number;
}

/** Raw values as commander hands them over (all optional strings/booleans). */
export interface RawServeOptions {
  db?: string;
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  retention?: string;
  retentionRevisions?: string;
  logLevel?: string;
  presencePeriod?: string;
  dashboard?: boolean;
  workers?: string;
}

export const DEFAULT_DB = 'sqlite:./modelwatch-data/state.db';
export const DEFAULT_LISTEN = '127.0.0.1:17070';

const DURATION_RE = /^(\d+)(ms|s|m|h)?$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The longest value a duration flag accepts, and why (the reason goes into the error text). */
export interface DurationCeiling {
  maxMs: number;
  reason: string;
}

/**
 * For durations that feed a timer: Node holds a timer's delay in a signed 32-bit int, and a longer
 * one fires at once (TimeoutOverflowWarning) instead of late.
 */
export const TIMER_CEILING: Readonly<DurationCeiling> = Object.freeze({
  maxMs: MAX_TIMER_MS,
  reason: "about 24.8 days, the longest delay Node's timers hold",
});

/**
 * For --retention, which feeds no timer (the compactor keeps rows newer than now − retention): 100
 * years keeps that cut-off an exact integer of epoch ms that a PostgreSQL bigint holds. Without a
 * ceiling, `9999999999999999999h` became a cut-off that overflows bigint and fails every round.
 */
export const RETENTION_CEILING: Readonly<DurationCeiling> = Object.freeze({
  maxMs: MAX_RETENTION_MS,
  reason: 'about 100 years',
});

/**
 * Parses `500ms`, `30s`, `10m`, `2h` or a plain number of seconds, up to `ceiling.maxMs`.
 * @throws UsageError naming `field` for bad syntax or a value above the ceiling.
 */
export function parseDuration(text: string, field: string, ceiling: Readonly<DurationCeiling>): number {
  const m = DURATION_RE.exec(text.trim());
  if (m?.[1] === undefined) throw new UsageError(`${field} ${JSON.stringify(text)} not valid: use e.g. 30s, 10m, 2h`);
  const ms = Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 1000);
  // Also catches digit strings past 2^53 (inexact) and past ~1e308 (Infinity).
  if (!(ms <= ceiling.maxMs)) {
    throw new UsageError(`${field} ${JSON.stringify(text)} not valid: at most ${ceiling.maxMs} ms (${ceiling.reason})`);
  }
  return ms;
}

/** Parses `host:port` or `[v6]:port`. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text.trim());
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (host === undefined || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`--listen ${JSON.stringify(text)} not valid: use host:port, e.g. 127.0.0.1:17070`);
  }
  return { host, port };
}

/** True for loopback hosts, where plain ws:// is allowed. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

const dbSchema = z.string().refine((s) => /^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(s), {
  message: 'must be sqlite:<path>, sqlite::memory: or postgres://…',
});
const levelSchema = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']);

/**
 * Resolves and validates the options.
 * @throws UsageError (BadRequest: exit code 2) naming the option.
 */
export function resolveServeOptions(raw: RawServeOptions, env: NodeJS.ProcessEnv = process.env): ServeOptions {
  const pick = (flag: string | undefined, name: string): string | undefined => flag ?? nonEmpty(env[name]);
  const db = pick(raw.db, 'MODELWATCH_DB') ?? DEFAULT_DB;
  const dbOk = dbSchema.safeParse(db);
  if (!dbOk.success) throw new UsageError(`--db ${JSON.stringify(db)} not valid: ${dbOk.error.issues[0]?.message ?? 'bad URL'}`);
  const { host, port } = parseListen(pick(raw.listen, 'MODELWATCH_LISTEN') ?? DEFAULT_LISTEN);
  const tlsCert = pick(raw.tlsCert, 'MODELWATCH_TLS_CERT');
  const tlsKey = pick(raw.tlsKey, 'MODELWATCH_TLS_KEY');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (tlsCert === undefined && !isLoopback(host)) {
    throw new UsageError(`--listen ${host}: a non-loopback listener requires --tls-cert and --tls-key (wss://)`);
  }
  const retentionMs = parseDuration(pick(raw.retention, 'MODELWATCH_RETENTION') ?? '10m', '--retention', RETENTION_CEILING);
  const revText = pick(raw.retentionRevisions, 'MODELWATCH_RETENTION_REVISIONS') ?? '1000000';
  const retentionRevisions = Number(revText);
  if (!/^\d+$/.test(revText) || !Number.isSafeInteger(retentionRevisions)) {
    throw new UsageError(`--retention-revisions ${JSON.stringify(revText)} not valid: a non-negative integer`);
  }
  const levelText = pick(raw.logLevel, 'MODELWATCH_LOG_LEVEL') ?? 'info';
  const level = levelSchema.safeParse(levelText);
  if (!level.success) throw new UsageError(`--log-level ${JSON.stringify(levelText)} not valid: use one of ${levelSchema.options.join(', ')}`);
  const presencePeriodMs = parseDuration(pick(raw.presencePeriod, 'MODELWATCH_PRESENCE_PERIOD') ?? '30s', '--presence-period', TIMER_CEILING);
  if (presencePeriodMs < 1000 || presencePeriodMs % 1000 !== 0) throw new UsageError('--presence-period not valid: whole seconds, at least 1s');
  const workers = parseWorkers(pick(raw.workers, 'MODELWATCH_WORKERS') ?? '1');
  if (workers > 1 && db === 'sqlite::memory:') throw new UsageError('--workers above 1 needs a database file: sqlite::memory: lives in one process');
  return {
    db, host, port, tlsCert, tlsKey, retentionMs, retentionRevisions, logLevel: level.data, presencePeriodMs,
    adminPassword: nonEmpty(env.MODELWATCH_ADMIN_PASSWORD), dashboard: raw.dashboard ?? true, workers,
  };
}

/** The most controller processes `--workers` accepts. */
export const MAX_SERVE_WORKERS = 64;

/** Parses `--workers`: `auto` (one per CPU) or an integer from 1 to 64. */
export function parseWorkers(text: string): number {
  if (text.trim() === 'auto') return Math.min(MAX_SERVE_WORKERS, availableParallelism());
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 1 || n > MAX_SERVE_WORKERS) {
    throw new UsageError(`--workers ${JSON.stringify(text)} not valid: auto, or an integer from 1 to ${MAX_SERVE_WORKERS}`);
  }
  return n;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** The SQLite file a validated --db names, or undefined for PostgreSQL and sqlite::memory:. */
export function sqliteFileOf(db: string): string | undefined {
  const location = parseStateUrl(db);
  return location.backend === 'sqlite' && location.path !== ':memory:' ? location.path : undefined;
}
