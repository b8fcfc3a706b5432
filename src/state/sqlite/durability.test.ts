// SQLite durability: data survives close/reopen, and a writer killed with SIGKILL loses none of the
// revisions it had acknowledged; the database then opens cleanly.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { ManualClock } from '../../core/index.js';
import { openState } from '../open-state.js';
import { sqliteBackend } from '../testdata/backends.js';

const backend = sqliteBackend();
afterAll(() => backend.cleanup());
const M = '00000000-0000-4000-8000-000000000001';

it('data and revisions survive close and reopen', async () => {
  const url = await backend.fresh();
  const s1 = await openState(url, { clock: new ManualClock(0) });
  for (let i = 0; i < 10; i++) await s1.update({ kind: 'machine', modelUUID: M, id: String(i), data: { i } });
  await s1.close();
  const s2 = await openState(url, { clock: new ManualClock(0) });
  expect(await s2.revision()).toBe(10);
  expect((await s2.list()).map((e) => e.data.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(await s2.update({ kind: 'machine', modelUUID: M, id: 'next', data: {} })).toBe(11);
  await s2.close();
});

it('a SIGKILL of a writer loses no acknowledged revision and the database opens cleanly', async () => {
  const url = await backend.fresh();
  const script = fileURLToPath(new URL('../testdata/sqlite-writer.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked: [number, number][] = [];
  let buffer = '';
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited ${code} ${signal}`))));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const [i, rev] = line.split(' ').map(Number);
        acked.push([i!, rev!]);
      }
      // Kill mid-stream, at a point the writer does not choose.
      if (acked.length >= 2_000 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
  });
  expect(acked.length).toBeGreaterThanOrEqual(2_000);
  const raw = new Database(url.slice('sqlite:'.length));
  expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
  raw.close();
  const state = await openState(url, { clock: new ManualClock(0) });
  const [lastI, lastRev] = acked.at(-1)!;
  expect(await state.revision()).toBeGreaterThanOrEqual(lastRev);
  const revs = new Set((await state.changesSince(0, 1_000_000)).map((c) => c.rev));
  for (const [i, rev] of acked) {
    expect(revs.has(rev)).toBe(true);
    if (i % 97 === 0) expect((await state.get({ kind: 'machine', modelUUID: M, id: `m-${i}` }))?.data.i).toBe(i);
  }
  expect(((await state.get({ kind: 'model', modelUUID: M, id: M }))?.data.last as number) >= lastI).toBe(true);
  await state.close();
});
