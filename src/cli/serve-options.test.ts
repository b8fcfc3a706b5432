import { describe, expect, it } from 'vitest';
import { DEFAULT_DB, RETENTION_CEILING, TIMER_CEILING, isLoopback, parseDuration, parseListen, resolveServeOptions } from './serve-options.js';

describe('serve options', () => {
  it('defaults to embedded SQLite on 127.0.0.1:17070', () => {
    const o = resolveServeOptions({}, {});
    expect(o).toMatchObject({ db: DEFAULT_DB, host: '127.0.0.1', port: 17070, retentionMs: 600_000, retentionRevisions: 1_000_000, logLevel: 'info', presencePeriodMs: 30_000 });
  });

  it('flags win over environment variables, which win over defaults', () => {
    const env = { MODELWATCH_DB: 'postgres://x@h/db', MODELWATCH_LISTEN: '127.0.0.2:1', MODELWATCH_ADMIN_PASSWORD: 'pw' };
    expect(resolveServeOptions({}, env)).toMatchObject({ db: 'postgres://x@h/db', port: 1, adminPassword: 'pw' });
    expect(resolveServeOptions({ db: 'sqlite::memory:' }, env).db).toBe('sqlite::memory:');
  });

  it('parses durations and listen addresses', () => {
    expect(parseDuration('500ms', 'x', TIMER_CEILING)).toBe(500);
    expect(parseDuration('30', 'x', TIMER_CEILING)).toBe(30_000);
    expect(parseDuration('2h', 'x', TIMER_CEILING)).toBe(7_200_000);
    expect(parseListen('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(isLoopback('127.0.0.1') && isLoopback('::1') && !isLoopback('0.0.0.0')).toBe(true);
  });

  it('rejects bad values with a usage error naming the option', () => {
    const bad: Array<[Parameters<typeof resolveServeOptions>[0], RegExp]> = [
      [{ db: 'mysql://x' }, /--db/],
      [{ listen: 'nope' }, /--listen/],
      [{ listen: '127.0.0.1:70000' }, /--listen/],
      [{ listen: '0.0.0.0:17070' }, /requires --tls-cert/],
      [{ tlsCert: 'c.pem' }, /go together/],
      [{ retention: 'ten minutes' }, /--retention/],
      [{ retentionRevisions: '-1' }, /--retention-revisions/],
      [{ logLevel: 'loud' }, /--log-level/],
      [{ presencePeriod: '1500ms' }, /--presence-period/],
    ];
    for (const [raw, re] of bad) {
      expect(() => resolveServeOptions(raw, {})).toThrow(re);
      expect(() => resolveServeOptions(raw, {})).toThrow(expect.objectContaining({ code: 'BadRequest' }));
    }
  });

  it('a duration that feeds a timer is rejected above 2^31-1 ms, where Node would fire the timer at once', () => {
    expect(TIMER_CEILING.maxMs).toBe(2 ** 31 - 1);
    expect(resolveServeOptions({ presencePeriod: '2147483s' }, {}).presencePeriodMs).toBe(2_147_483_000);
    for (const text of ['2147484s', '596524h', '9'.repeat(400)]) {
      expect(() => resolveServeOptions({ presencePeriod: text }, {})).toThrow(/^--presence-period .* at most 2147483647 ms/);
      expect(() => resolveServeOptions({ presencePeriod: text }, {})).toThrow(expect.objectContaining({ code: 'BadRequest' }));
    }
    expect(() => resolveServeOptions({}, { MODELWATCH_PRESENCE_PERIOD: '1000h' })).toThrow(/--presence-period/);
  });

  it('a retention that would overflow the compactor cut-off (now - retention) is rejected above its ceiling', () => {
    expect(resolveServeOptions({ retention: '876000h' }, {}).retentionMs).toBe(RETENTION_CEILING.maxMs); // 100 years
    expect(resolveServeOptions({ retention: '8760h' }, {}).retentionMs).toBe(31_536_000_000); // past the timer ceiling: it feeds no timer
    for (const text of ['876001h', '9999999999999999999h', '9'.repeat(400)]) {
      expect(() => resolveServeOptions({ retention: text }, {})).toThrow(/^--retention .* at most/);
      expect(() => resolveServeOptions({ retention: text }, {})).toThrow(expect.objectContaining({ code: 'BadRequest' }));
    }
  });
});

describe('serve --workers', () => {
  it('defaults to one process; takes a count, auto, or MODELWATCH_WORKERS', () => {
    expect(resolveServeOptions({}, {}).workers).toBe(1);
    expect(resolveServeOptions({ workers: '4' }, {}).workers).toBe(4);
    expect(resolveServeOptions({}, { MODELWATCH_WORKERS: '3' }).workers).toBe(3);
    expect(resolveServeOptions({ workers: 'auto' }, {}).workers).toBeGreaterThanOrEqual(1);
  });

  it('refuses counts outside 1–64, non-integers, and several processes on sqlite::memory:', () => {
    for (const w of ['0', '65', '-1', '1.5', 'two', '', '1e3']) {
      expect(() => resolveServeOptions({ workers: w }, {}), w).toThrow(/--workers .* not valid: auto, or an integer from 1 to 64/);
    }
    expect(() => resolveServeOptions({ workers: '2', db: 'sqlite::memory:' }, {})).toThrow(/needs a database file/);
    expect(resolveServeOptions({ workers: '1', db: 'sqlite::memory:' }, {}).workers).toBe(1);
  });
});
