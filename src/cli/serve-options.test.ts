import { describe, expect, it } from 'vitest';
import { DEFAULT_DB, isLoopback, parseDuration, parseListen, resolveServeOptions } from './serve-options.js';

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
    expect(parseDuration('500ms', 'x')).toBe(500);
    expect(parseDuration('30', 'x')).toBe(30_000);
    expect(parseDuration('2h', 'x')).toBe(7_200_000);
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
});
