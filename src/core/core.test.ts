import { describe, expect, it } from 'vitest';
import { jsonClone, jsonEqual } from './deep-equal.js';
import { compareEntityIds, entityKey, infoEquals } from './entity.js';
import { ModelwatchError, hasCode } from './errors.js';
import { validateEntityId, validateEntityInfo } from './validate.js';
import { seededRandom } from './random.js';

const M = '0b7e6a4c-8d2f-4a3b-9c1d-2e3f4a5b6c7d';

describe('jsonEqual', () => {
  it('ignores key order and undefined-valued keys; array order counts', () => {
    expect(jsonEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1, x: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: null })).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
    expect(jsonEqual('1', 1)).toBe(false);
  });

  it('jsonClone shares nothing with the original', () => {
    const v = { a: { b: [1, { c: 2 }] }, u: undefined };
    const c = jsonClone(v);
    expect(jsonEqual(c, v)).toBe(true);
    expect('u' in c).toBe(false);
    (c.a.b[1] as { c: number }).c = 9;
    expect((v.a.b[1] as { c: number }).c).toBe(2);
  });
});

describe('entities', () => {
  it('entityKey distinguishes identities and infoEquals compares ids and data', () => {
    expect(entityKey({ kind: 'a', modelUUID: M, id: 'b' })).not.toBe(entityKey({ kind: 'a', modelUUID: M, id: 'c' }));
    const a = { kind: 'unit', modelUUID: M, id: 'x/0', data: { p: 1 } };
    expect(infoEquals(a, { ...a, data: { p: 1 } })).toBe(true);
    expect(infoEquals(a, { ...a, id: 'x/1' })).toBe(false);
  });

  it('compareEntityIds orders by kind, model, id with code-unit comparison', () => {
    const ids = [{ kind: 'unit', modelUUID: M, id: '9' }, { kind: 'unit', modelUUID: M, id: '10' }, { kind: 'app', modelUUID: M, id: 'z' }];
    expect(ids.sort(compareEntityIds).map((i) => i.id)).toEqual(['z', '10', '9']);
  });
});

describe('validation', () => {
  const ok = { kind: 'unit', modelUUID: M, id: 'mysql/0', data: { life: 'alive' } };

  it('accepts a valid info and returns its serialised data', () => {
    expect(validateEntityInfo(ok)).toBe('{"life":"alive"}');
  });

  it('names the failing field with code NotValid', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...ok, kind: 'Unit' }, /entity\.kind/],
      [{ ...ok, kind: 'a'.repeat(65) }, /entity\.kind/],
      [{ ...ok, modelUUID: M.toUpperCase() }, /entity\.modelUUID/],
      [{ ...ok, id: '' }, /entity\.id/],
      [{ ...ok, id: 'x'.repeat(256) }, /entity\.id/],
      [{ ...ok, id: 'a\nb' }, /control characters/],
      // A lone surrogate would come back from the database as U+FFFD: the id could not be used again.
      [{ ...ok, id: 'a\uD800' }, /no lone surrogates/],
      [{ ...ok, id: '\uDC00b' }, /no lone surrogates/],
      [{ ...ok, data: [] }, /entity\.data/],
      [{ ...ok, data: { n: Infinity } }, /finite/],
      [{ ...ok, data: { f: () => 1 } }, /not JSON/],
      [{ ...ok, data: { d: new Date(0) } }, /plain objects/],
      [{ ...ok, data: { big: 'x'.repeat(1024 * 1024) } }, /bytes serialised/],
      [{ kind: 'model', modelUUID: M, id: 'other', data: {} }, /model's id/],
    ];
    for (const [input, re] of cases) {
      let err: unknown;
      try {
        validateEntityInfo(input);
      } catch (e) {
        err = e;
      }
      expect(hasCode(err, 'NotValid'), String(re)).toBe(true);
      expect((err as ModelwatchError).message).toMatch(re);
    }
  });

  it('rejects cyclic data', () => {
    const data: Record<string, unknown> = {};
    data.self = data;
    expect(() => validateEntityInfo({ ...ok, data })).toThrow(/cycle/);
  });

  it('validateEntityId accepts ids without data', () => {
    expect(() => validateEntityId({ kind: 'machine', modelUUID: M, id: '0/lxd/1' })).not.toThrow();
    expect(() => validateEntityId(null)).toThrow(expect.objectContaining({ code: 'NotValid' }));
  });
});

describe('seededRandom', () => {
  it('is deterministic per seed and within [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 100 }, () => a());
    expect(xs).toEqual(Array.from({ length: 100 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('ids of any script', () => {
  it('accepts astral characters (a well-formed surrogate pair) in an id', () => {
    expect(() => validateEntityInfo({ kind: 'unit', modelUUID: '00000000-0000-4000-8000-000000000001', id: 'app/😀', data: {} })).not.toThrow();
  });
});
