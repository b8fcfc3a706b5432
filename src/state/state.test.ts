// One behaviour on both backends: CRUD and revisions, no-op updates, model cascade, validation,
// batching of changesSince, and closed-state errors. (Compaction, backing and migrations: own files.)
import { expect, it } from 'vitest';
import { hasCode } from '../core/index.js';
import type { EntityInfo } from '../core/index.js';
import { openState } from './open-state.js';
import { BACKENDS, freshStatePerTest, modelUUID } from './testdata/backends.js';

const M1 = modelUUID(1);
const M2 = modelUUID(2);
const e = (kind: string, modelUUID: string, id: string, data: Record<string, unknown> = {}): EntityInfo => ({ kind, modelUUID, id, data });
const model = (m: string): EntityInfo => e('model', m, m, { name: `model-${m.slice(-2)}` });

for (const makeBackend of BACKENDS) {
  const backend = makeBackend();
  backend.describe(`state on ${backend.name}`, () => {
    const state = freshStatePerTest(backend);

    it('reports its backend and starts at revision 0', async () => {
      expect(state().backend).toBe(backend.name);
      expect(await state().revision()).toBe(0);
      expect(await state().changesSince(0)).toEqual([]);
      expect(await state().list()).toEqual([]);
    });

    it('commits each transaction at the next revision, all its changes stamped with it', async () => {
      expect(await state().update(model(M1))).toBe(1);
      const rev = await state().apply([
        { op: 'update', entity: e('machine', M1, '0', { series: 'jammy' }) },
        { op: 'update', entity: e('application', M1, 'mysql', { exposed: false }) },
      ]);
      expect(rev).toBe(2);
      expect(await state().get({ kind: 'machine', modelUUID: M1, id: '0' })).toEqual(e('machine', M1, '0', { series: 'jammy' }));
      expect(await state().remove({ kind: 'machine', modelUUID: M1, id: '0' })).toBe(3);
      expect(await state().get({ kind: 'machine', modelUUID: M1, id: '0' })).toBeUndefined();
      expect(await state().revision()).toBe(3);
      expect(await state().changesSince(0)).toEqual([
        { rev: 1, kind: 'model', modelUUID: M1, id: M1, removed: false },
        { rev: 2, kind: 'application', modelUUID: M1, id: 'mysql', removed: false },
        { rev: 2, kind: 'machine', modelUUID: M1, id: '0', removed: false },
        { rev: 3, kind: 'machine', modelUUID: M1, id: '0', removed: true },
      ]);
      expect((await state().changesSince(2)).map((c) => c.rev)).toEqual([3]);
      expect(await state().changesSince(3)).toEqual([]);
      expect(await state().changesSince(99)).toEqual([]);
    });

    it('lists by model and kind in key order', async () => {
      await state().apply([
        { op: 'update', entity: model(M2) },
        { op: 'update', entity: e('unit', M2, 'mysql/1') },
        { op: 'update', entity: e('unit', M1, 'mysql/0') },
        { op: 'update', entity: e('machine', M1, '0') },
      ]);
      expect((await state().list()).map((x) => `${x.modelUUID.slice(-1)}:${x.kind}:${x.id}`)).toEqual([
        '1:machine:0', '1:unit:mysql/0', `2:model:${M2}`, '2:unit:mysql/1',
      ]);
      expect((await state().list({ kind: 'unit' })).map((x) => x.id)).toEqual(['mysql/0', 'mysql/1']);
      expect((await state().list({ modelUUID: M1, kind: 'machine' })).map((x) => x.id)).toEqual(['0']);
      expect(await state().list({ modelUUID: modelUUID(9) })).toEqual([]);
    });

    it('a no-op update or remove writes nothing and consumes no revision', async () => {
      await state().update(e('machine', M1, '0', { a: 1, b: { c: [1, 2], d: 'x' } }));
      // Same data, other key order, an undefined-valued key: deep-equal, so no change.
      expect(await state().update(e('machine', M1, '0', { b: { d: 'x', c: [1, 2] }, a: 1, z: undefined }))).toBe(1);
      expect(await state().remove({ kind: 'machine', modelUUID: M1, id: 'missing' })).toBe(1);
      expect(await state().apply([])).toBe(1);
      // Changed and changed back within one transaction: net no-op.
      expect(await state().apply([
        { op: 'update', entity: e('machine', M1, '0', { a: 2 }) },
        { op: 'update', entity: e('machine', M1, '0', { a: 1, b: { c: [1, 2], d: 'x' } }) },
      ])).toBe(1);
      // Created and removed within one transaction: nothing to log.
      expect(await state().apply([
        { op: 'update', entity: e('machine', M1, 'tmp') },
        { op: 'remove', id: { kind: 'machine', modelUUID: M1, id: 'tmp' } },
      ])).toBe(1);
      expect(await state().changesSince(0)).toHaveLength(1);
      expect(await state().update(e('machine', M1, '0', { a: 1, b: { c: [2, 1], d: 'x' } }))).toBe(2);
    });

    it('removing a model removes all its entities in the same revision', async () => {
      await state().apply([
        { op: 'update', entity: model(M1) },
        { op: 'update', entity: e('machine', M1, '0') },
        { op: 'update', entity: e('unit', M1, 'mysql/0') },
        { op: 'update', entity: model(M2) },
        { op: 'update', entity: e('machine', M2, '0') },
      ]);
      const rev = await state().remove({ kind: 'model', modelUUID: M1, id: M1 });
      expect(rev).toBe(2);
      expect((await state().changesSince(1)).map((c) => [c.rev, c.kind, c.removed])).toEqual([
        [2, 'machine', true], [2, 'model', true], [2, 'unit', true],
      ]);
      expect(await state().list({ modelUUID: M1 })).toEqual([]);
      expect(await state().list({ modelUUID: M2 })).toHaveLength(2);
    });

    it('an entity updated after its model is removed in the same transaction survives', async () => {
      await state().apply([{ op: 'update', entity: model(M1) }, { op: 'update', entity: e('machine', M1, '0', { v: 1 }) }, { op: 'update', entity: e('machine', M1, '1') }]);
      const rev = await state().apply([
        { op: 'remove', id: { kind: 'model', modelUUID: M1, id: M1 } },
        { op: 'update', entity: e('machine', M1, '0', { v: 2 }) },
      ]);
      expect(await state().list({ modelUUID: M1 })).toEqual([e('machine', M1, '0', { v: 2 })]);
      expect((await state().changesSince(1)).map((c) => [c.rev, c.kind, c.id, c.removed])).toEqual([
        [rev, 'machine', '0', false], [rev, 'machine', '1', true], [rev, 'model', M1, true],
      ]);
    });

    it('validation errors name the field and change nothing', async () => {
      await state().update(model(M1));
      const good = { op: 'update', entity: e('machine', M1, 'good') } as const;
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const cases: [unknown, string][] = [
        [[good, { op: 'update', entity: e('Bad', M1, 'x') }], 'ops[1].entity.kind'],
        [[good, { op: 'update', entity: e('machine', 'NOT-A-UUID', 'x') }], 'ops[1].entity.modelUUID'],
        [[good, { op: 'update', entity: e('machine', 'ABCDEF00-0000-4000-8000-00000000000A', 'x') }], 'ops[1].entity.modelUUID'],
        [[good, { op: 'update', entity: e('machine', M1, '') }], 'ops[1].entity.id'],
        [[good, { op: 'update', entity: e('machine', M1, 'x'.repeat(256)) }], 'ops[1].entity.id'],
        [[good, { op: 'update', entity: e('machine', M1, 'a\nb') }], 'ops[1].entity.id'],
        [[good, { op: 'update', entity: { kind: 'machine', modelUUID: M1, id: 'x', data: [] } }], 'ops[1].entity.data'],
        [[good, { op: 'update', entity: e('machine', M1, 'x', { n: Number.NaN }) }], 'ops[1].entity.data.n'],
        [[good, { op: 'update', entity: e('machine', M1, 'x', { f: () => 1 }) }], 'ops[1].entity.data.f'],
        [[good, { op: 'update', entity: e('machine', M1, 'x', cyclic) }], 'ops[1].entity.data.self'],
        [[good, { op: 'update', entity: e('machine', M1, 'x', { big: 'x'.repeat(1024 * 1024) }) }], 'ops[1].entity.data'],
        [[good, { op: 'update', entity: e('model', M1, 'other-id') }], 'ops[1].entity.id'],
        [[good, { op: 'remove', id: { kind: 'machine', modelUUID: M1 } }], 'ops[1].id.id'],
        [[good, { op: 'upsert', entity: e('machine', M1, 'x') }], 'ops[1].op'],
        [[good, null], 'ops[1]'],
        ['not-an-array', 'ops'],
      ];
      for (const [ops, field] of cases) {
        const err = await state().apply(ops as never).catch((x: unknown) => x);
        expect(hasCode(err, 'NotValid'), `${field}: ${String(err)}`).toBe(true);
        expect((err as Error).message.startsWith(field), (err as Error).message).toBe(true);
      }
      expect(await state().revision()).toBe(1);
      expect(await state().changesSince(0)).toHaveLength(1);
      expect(await state().get({ kind: 'machine', modelUUID: M1, id: 'good' })).toBeUndefined();
      for (const bad of [() => state().get({ kind: 'machine', modelUUID: 'x', id: '0' }), () => state().list({ kind: 'Bad' }),
        () => state().changesSince(-1), () => state().changesSince(1.5), () => state().changesSince(0, 0)]) {
        expect(hasCode(await bad().catch((x: unknown) => x), 'NotValid')).toBe(true);
      }
    });

    it('changesSince honours its limit without ever splitting a revision', async () => {
      await state().apply([1, 2, 3].map((i) => ({ op: 'update' as const, entity: e('machine', M1, String(i)) }))); // rev 1: 3 rows
      await state().update(e('machine', M1, '4')); // rev 2
      await state().update(e('machine', M1, '5')); // rev 3
      expect((await state().changesSince(0, 2)).map((c) => c.rev)).toEqual([1, 1, 1]); // one revision, whole
      expect((await state().changesSince(0, 4)).map((c) => c.rev)).toEqual([1, 1, 1, 2]);
      expect((await state().changesSince(0, 5)).map((c) => c.rev)).toEqual([1, 1, 1, 2, 3]);
      expect((await state().changesSince(1, 1)).map((c) => c.rev)).toEqual([2]);
    });

    it('keeps data values exactly (unicode, NUL, nesting, numbers)', async () => {
      const data = { s: 'ünï\u0000cødé 😀', n: -0.5, big: 1e300, arr: [null, true, { z: 1, a: [] }], empty: {} };
      await state().update(e('charm', M1, 'cs:mysql-1', data));
      expect((await state().get({ kind: 'charm', modelUUID: M1, id: 'cs:mysql-1' }))?.data).toEqual(data);
    });

    it('after close every call fails with Stopped', async () => {
      await state().close();
      await state().close(); // idempotent
      expect(hasCode(await state().revision().catch((x: unknown) => x), 'Stopped')).toBe(true);
      expect(hasCode(await state().update(model(M1)).catch((x: unknown) => x), 'Stopped')).toBe(true);
    });
  });
}

it('openState refuses a bad URL, clock, logger or limit with NotValid naming it (before opening anything)', async () => {
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  const cases: [url: string, opts: Record<string, unknown>, message: string][] = [
    ['', {}, 'url not valid'],
    ['sqlite:', {}, 'sqlite: needs a path'],
    ['mysql://h/db', {}, 'url scheme mysql: not valid'],
    ['sqlite::memory:', { clock: { now: () => 0 } }, 'clock not valid'],
    ['sqlite::memory:', { logger: { warn() {}, error() {} } }, 'logger not valid'],
    ['sqlite::memory:', { logger: { ...logger, debug: undefined } }, 'logger not valid'],
    ['sqlite::memory:', { retention: { ms: -1 } }, 'retention.ms -1 not valid'],
    ['sqlite::memory:', { limits: { pgPoolSize: 0 } }, 'limits.pgPoolSize not valid'],
    // A group commit of 0 plans would never take a write from the queue.
    ['sqlite::memory:', { limits: { pgBatchPlans: 0 } }, 'limits.pgBatchPlans not valid'],
    // A cut-off (now − retention) a PostgreSQL bigint cannot hold would fail every compaction round.
    ['sqlite::memory:', { retention: { ms: 1e20 } }, 'retention.ms 100000000000000000000 not valid: at most'],
    // Timer delays above 2^31 − 1 ms fire at once in Node.js.
    ['sqlite::memory:', { limits: { pollIntervalMs: 2 ** 31 } }, 'limits.pollIntervalMs 2147483648 not valid'],
  ];
  for (const [url, opts, message] of cases) {
    const err = await openState(url, opts).then((s) => s.close(), (x: unknown) => x);
    expect(hasCode(err, 'NotValid'), `${url} ${JSON.stringify(opts)}: ${String(err)}`).toBe(true);
    expect(String(err)).toContain(message);
  }
});
