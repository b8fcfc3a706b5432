// The IPC messages are checked on receipt: foreign ones ignored, malformed ones of ours refused.
import { describe, expect, it } from 'vitest';
import { parseClusterMessage } from './messages.js';

const change = { rev: 5, kind: 'machine', modelUUID: 'm', id: '0', removed: false, at: 1 };

describe('cluster messages', () => {
  it('accepts each well-formed message', () => {
    for (const m of [
      { type: 'modelwatch:ring', ring: { kind: 'state', rev: 5, changes: [change] } },
      { type: 'modelwatch:ring', ring: { kind: 'presence', modelUUID: 'm' } },
      { type: 'modelwatch:listening', url: 'http://127.0.0.1:1' },
      { type: 'modelwatch:metrics-request', id: 0 },
      { type: 'modelwatch:metrics', id: 1, text: '' },
      { type: 'modelwatch:metrics', id: 1, error: 'timed out' },
      { type: 'modelwatch:registry-request', id: 3 },
      { type: 'modelwatch:registry', id: 3, metrics: [{ name: 'up', help: 'h', type: 'gauge', aggregator: 'sum', values: [{ value: 1, labels: {} }] }] },
      { type: 'modelwatch:registry', id: 3, error: 'collect failed' },
      { type: 'modelwatch:stats-request', id: 2, resetEventLoop: true, settle: false },
      { type: 'modelwatch:stats', id: 2, stats: { index: 0, pid: 1, rssBytes: 1, heapUsedBytes: 1, cpuUs: 1, eventLoopDelayMs: { p50: 1, p99: 2, max: 3 } } },
    ]) expect(parseClusterMessage(m), m.type).toEqual({ ok: true, message: m });
  });

  it("ignores messages that are not ours (prom-client's own, anything else)", () => {
    for (const m of [null, 7, 'x', {}, { type: 'prom-client:getMetricsReq', requestId: 1 }]) {
      expect(parseClusterMessage(m)).toMatchObject({ ok: false, foreign: true });
    }
  });

  it('refuses malformed messages of ours, naming what is wrong', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ type: 'modelwatch:nope' }, /unknown type/],
      [{ type: 'modelwatch:ring', ring: { kind: 'state', rev: 5, changes: [] } }, /ring not valid/],
      [{ type: 'modelwatch:ring', ring: { kind: 'state', rev: 5, changes: [{ ...change, rev: 4 }] } }, /ring not valid/],
      [{ type: 'modelwatch:ring', ring: { kind: 'state', rev: 0, changes: [{ ...change, rev: 0 }] } }, /ring not valid/],
      [{ type: 'modelwatch:ring', ring: { kind: 'presence', modelUUID: '' } }, /ring not valid/],
      [{ type: 'modelwatch:listening', url: 'ftp://x' }, /url not valid/],
      [{ type: 'modelwatch:metrics-request', id: -1 }, /id not valid/],
      [{ type: 'modelwatch:metrics', id: 1 }, /needs an id and text or error/],
      // A text that is not a string would reach the HTTP response as is (res.end(5) throws).
      [{ type: 'modelwatch:metrics', id: 1, text: 5, error: 'x' }, /needs an id and text or error/],
      [{ type: 'modelwatch:metrics', id: 1, text: 'up 1', error: 'x' }, /needs an id and text or error/],
      [{ type: 'modelwatch:registry-request' }, /id not valid/],
      [{ type: 'modelwatch:registry', id: 1, metrics: [{ name: 'up', help: 'h', type: 'gauge', values: [] }] }, /needs an id and metrics or error/],
      [{ type: 'modelwatch:registry', id: 1, metrics: [], error: 'x' }, /needs an id and metrics or error/],
      [{ type: 'modelwatch:stats-request', id: 1, resetEventLoop: 'yes', settle: false }, /fields not valid/],
      [{ type: 'modelwatch:stats', id: 1, stats: { index: 0 } }, /stats not valid/],
    ];
    for (const [m, reason] of cases) {
      const r = parseClusterMessage(m);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.foreign).toBe(false);
        expect(r.reason).toMatch(reason);
      }
    }
  });
});
