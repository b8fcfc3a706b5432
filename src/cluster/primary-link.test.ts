// A worker's link to the primary, over a fake IPC channel that behaves as Node's `process` does.
import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Counter, Registry } from 'prom-client';
import { ManualClock, nullLogger } from '../core/index.js';
import { PrimaryLink } from './primary-link.js';
import type { IpcChannel } from './primary-link.js';

/**
 * Node's process.send(): returns false when the backlog of unsent messages is long, yet queues the
 * message all the same; a failed write goes to the callback (or, without one, an 'error' event).
 */
class FakeChannel extends EventEmitter implements IpcChannel {
  connected = true;
  readonly sent: unknown[] = [];
  constructor(readonly backlogged = false) {
    super();
  }
  send(message: unknown, callback?: (error: Error | null) => void): boolean {
    this.sent.push(message);
    if (callback !== undefined) process.nextTick(callback, null);
    return !this.backlogged;
  }
}

describe('PrimaryLink', () => {
  it('a long IPC backlog does not fail a metrics request or go uncounted (send() returned false but queued)', async () => {
    const channel = new FakeChannel(true);
    const link = new PrimaryLink({ index: 0, clock: new ManualClock(), logger: nullLogger, channel });
    link.publish({ kind: 'presence', modelUUID: 'm' });
    const text = link.clusterMetrics();
    expect(channel.sent).toContainEqual({ type: 'modelwatch:metrics-request', id: 0 });
    channel.emit('message', { type: 'modelwatch:metrics', id: 0, text: 'up 1\n' });
    await expect(text).resolves.toBe('up 1\n');
    expect(link.report()).toMatchObject({ ringsSent: 1 });
    link.close();
  });

  it("answers the primary's registry request with this worker's metrics", async () => {
    const channel = new FakeChannel();
    const registry = new Registry();
    new Counter({ name: 'fake_total', help: 'h', registers: [registry] }).inc(2);
    const link = new PrimaryLink({ index: 0, clock: new ManualClock(), logger: nullLogger, channel, registry });
    channel.emit('message', { type: 'modelwatch:registry-request', id: 7 });
    await new Promise((r) => setImmediate(r));
    const answer = channel.sent.find((m) => (m as { type: string }).type === 'modelwatch:registry') as { id: number; metrics: Array<{ name: string }> };
    expect(answer.id).toBe(7);
    expect(answer.metrics.find((m) => m.name === 'fake_total')).toMatchObject({ aggregator: 'sum', values: [{ value: 2, labels: {} }] });
    link.close();
  });

  it('a send after the primary is gone (EPIPE, before the disconnect is seen) does not crash the worker', async () => {
    // A real child process, so the failed write is Node's own.
    const dir = mkdtempSync(join(tmpdir(), 'mw-link-'));
    const src = (f: string): string => JSON.stringify(fileURLToPath(new URL(f, import.meta.url)));
    const script = join(dir, 'worker.ts');
    writeFileSync(script, `
      import { PrimaryLink } from ${src('./primary-link.ts')};
      import { ManualClock, nullLogger } from ${src('../core/index.ts')};
      const link = new PrimaryLink({ index: 0, clock: new ManualClock(), logger: nullLogger });
      process.on('message', (m) => {
        if (m !== 'go') return;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300); // the parent closes the channel meanwhile
        link.publish({ kind: 'presence', modelUUID: 'm' });
        link.clusterMetrics().catch(() => undefined);
      });
      process.on('disconnect', () => setTimeout(() => process.exit(0), 100));
      process.send('ready');
    `);
    try {
      const child = fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      let err = '';
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', r));
      await new Promise((r) => child.once('message', r));
      child.send('go');
      child.disconnect();
      expect(await exited, err).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
