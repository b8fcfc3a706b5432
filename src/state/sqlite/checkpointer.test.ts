// The background checkpointer: the WAL stays bounded under a stream of commits that never yields to
// the event loop (the writer reads the worker's state after each commit, not its messages), nothing
// is lost, and close leaves no WAL behind.
import { existsSync, statSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { ManualClock } from '../../core/index.js';
import { openState } from '../open-state.js';
import { sqliteBackend } from '../testdata/backends.js';

const backend = sqliteBackend();
afterAll(() => backend.cleanup());
const M = '00000000-0000-4000-8000-000000000001';

it('keeps the WAL bounded while applies never yield, and loses nothing', async () => {
  const url = await backend.fresh();
  const path = url.slice('sqlite:'.length);
  const state = await openState(url, { clock: new ManualClock(0), limits: { sqliteCheckpointFrames: 200 } });
  const n = 10_000;
  let largestWal = 0;
  for (let i = 0; i < n; i++) {
    await state.update({ kind: 'machine', modelUUID: M, id: String(i % 500), data: { i } });
    if (i % 500 === 0) largestWal = Math.max(largestWal, statSync(`${path}-wal`).size);
  }
  const report = (state as unknown as { report(): { driver: Record<string, number> } }).report().driver;
  expect(report['background-checkpoints']! + report['writer-checkpoints']!).toBeGreaterThan(0);
  // Unchecked, 10,000 commits write ~2.4 pages each: ~100 MB of WAL. Bounded it stays a few MB,
  // more only while a loaded machine starves the worker.
  expect(largestWal).toBeLessThan(40 * 2 ** 20);
  await state.close();
  expect(existsSync(`${path}-wal`)).toBe(false);
  const reopened = await openState(url, { clock: new ManualClock(0) });
  expect(await reopened.revision()).toBe(n);
  expect((await reopened.get({ kind: 'machine', modelUUID: M, id: '499' }))?.data).toEqual({ i: n - 1 });
  await reopened.close();
});
