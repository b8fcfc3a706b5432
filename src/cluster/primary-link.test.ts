// A worker's link to the primary, over a fake IPC channel that behaves as Node's `process` does.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
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
});
