// PostgreSQL hazards with real processes: concurrent writers whose transactions commit out of
// order must never let a reader skip or repeat a revision, and a reader whose connections are
// terminated (pg_terminate_backend) must resume from its revision without loss.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { SystemClock, entityKey } from '../../core/index.js';
import type { BackingChange, EntityInfo } from '../../core/index.js';
import { createTestDatabase, describePostgres } from '../../testing/index.js';
import type { TestDatabase } from '../../testing/index.js';
import { openState } from '../open-state.js';
import type { State } from '../state.js';

/** Shortened from the 20 s to keep the module's test time down; the bench runs longer. */
const RUN_MS = 8_000;

function withAppName(url: string, name: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', name);
  return u.toString();
}

function child(script: string, args: string[]): { proc: ChildProcessWithoutNullStreams; lines: AsyncIterator<string> } {
  const path = fileURLToPath(new URL(`../testdata/${script}`, import.meta.url));
  const proc = spawn(process.execPath, ['--import', 'tsx', path, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  proc.stderr.on('data', (d: Buffer) => process.stderr.write(`[${script}] ${d.toString()}`));
  return { proc, lines: createInterface({ input: proc.stdout })[Symbol.asyncIterator]() };
}

async function nextLine(lines: AsyncIterator<string>): Promise<string> {
  const r = await lines.next();
  if (r.done === true) throw new Error('child ended without output');
  return r.value;
}

async function terminate(admin: pg.Client, appName: string): Promise<number> {
  const res = await admin.query('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1', [appName]);
  return res.rowCount ?? 0;
}

/** The (rev, identity) sequence hash a reader must have seen after `startRev`. */
async function expectedHash(state: State, startRev: number): Promise<{ hash: string; count: number }> {
  const h = createHash('sha256');
  let rev = startRev;
  let count = 0;
  for (;;) {
    const rows = await state.changesSince(rev, 10_000);
    if (rows.length === 0) break;
    for (const c of rows) h.update(`${c.rev}|${c.kind}|${c.modelUUID}|${c.id}\n`);
    count += rows.length;
    rev = rows[rows.length - 1]!.rev;
  }
  return { hash: h.digest('hex'), count };
}

function viewHash(entities: EntityInfo[]): string {
  const h = createHash('sha256');
  const byKey = new Map(entities.map((e) => [entityKey(e), e]));
  for (const key of [...byKey.keys()].sort()) h.update(`${key}=${JSON.stringify(byKey.get(key)?.data)}\n`);
  return h.digest('hex');
}

describePostgres('postgres hazards', () => {
  let db: TestDatabase;
  let admin: pg.Client;
  let state: State;

  beforeAll(async () => {
    db = await createTestDatabase('hazards');
    state = await openState(db.url);
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
  });

  afterAll(async () => {
    await admin.end();
    await state.close();
    await db.drop();
  });

  it('4 writer and 2 reader processes: every reader sees every revision once, in order, and ends equal to the database', async () => {
    const readers = [0, 1].map((i) => child('pg-reader.ts', [withAppName(db.url, `mw_hazard_reader_${i}`)]));
    const starts = await Promise.all(readers.map(async (r) => Number((await nextLine(r.lines)).split(' ')[1])));
    const writers = [1, 2, 3, 4].map((seed) => child('pg-writer.ts', [db.url, String(RUN_MS), String(seed), '3']));
    // Midway, reader 1 loses every connection (LISTEN and pool) twice.
    await new Promise((r) => setTimeout(r, RUN_MS / 3));
    expect(await terminate(admin, 'mw_hazard_reader_1')).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, RUN_MS / 3));
    await terminate(admin, 'mw_hazard_reader_1');
    const summaries = await Promise.all(writers.map(async (w) => JSON.parse(await nextLine(w.lines)) as { txns: number; lastRev: number; retries: number }));
    const finalRev = await state.revision();
    expect(finalRev).toBe(Math.max(...summaries.map((s) => s.lastRev)));
    for (const r of readers) r.proc.stdin.write(`until ${finalRev}\n`);
    const results = await Promise.all(readers.map(async (r) => JSON.parse(await nextLine(r.lines)) as {
      startRev: number; count: number; hash: string; violations: number; viewHash: string; report: { driver: { listener: { reconnects: number } } };
    }));
    const finalView = viewHash(await state.list());
    for (const [i, res] of results.entries()) {
      expect(res.startRev).toBe(starts[i]);
      const expected = await expectedHash(state, res.startRev);
      expect(res.violations).toBe(0);
      expect(res.count).toBe(expected.count);
      expect(res.hash).toBe(expected.hash);
      expect(res.viewHash).toBe(finalView);
    }
    expect(results[1]!.report.driver.listener.reconnects).toBeGreaterThanOrEqual(1);
    const txns = summaries.reduce((n, s) => n + s.txns, 0);
    const retries = summaries.reduce((n, s) => n + s.retries, 0);
    process.stderr.write(`hazard run: ${txns} transactions (${retries} deadlock retries), ${finalRev} revisions, ${results[0]!.count} changes per reader\n`);
  }, 90_000);

  it('a reader whose connections are terminated resumes from its revision without loss', async () => {
    const appName = 'mw_terminated_reader';
    const reader = await openState(withAppName(db.url, appName), { clock: new SystemClock(), limits: { pollIntervalMs: 200, retryMinMs: 20, retryMaxMs: 100 } });
    const backing = reader.allWatcherBacking();
    const seen: BackingChange[] = [];
    backing.watch((c) => seen.push(c));
    const start = Number(await backing.getAll({ update() {}, remove() {}, get: () => undefined }));
    const M = '00000000-0000-4000-8000-00000000000a';
    let killed = 0;
    for (let i = 0; i < 60; i++) {
      await state.update({ kind: 'machine', modelUUID: M, id: String(i % 7), data: { i } });
      if (i % 15 === 5) killed += await terminate(admin, appName);
    }
    const last = await state.revision();
    await vi.waitFor(() => expect(seen.at(-1)?.rev).toBe(last), { timeout: 20_000 });
    expect(killed).toBeGreaterThan(0);
    expect(seen.map((c) => c.rev)).toEqual(Array.from({ length: last - start }, (_, i) => start + i + 1));
    await reader.close();
  }, 60_000);
});
