import { describe, expect, it } from 'vitest';
import { fromWireDelta, isUnknownKindError, toWireDelta } from './wire-delta.js';
import type { Delta } from './entity.js';

const M = '0b7e6a4c-8d2f-4a3b-9c1d-2e3f4a5b6c7d';

describe('toWireDelta', () => {
  it('encodes the spec example', () => {
    const d: Delta = { removed: false, entity: { kind: 'unit', modelUUID: 'm1', id: 'db/0', data: { 'machine-id': '2' } } };
    expect(toWireDelta(d)).toEqual(['unit', 'change', { 'machine-id': '2', 'model-uuid': 'm1', name: 'db/0' }]);
  });

  it('uses each Juju kind\'s id field and `id` for other kinds', () => {
    const cases: Array<[string, string]> = [
      ['action', 'id'], ['annotation', 'tag'], ['application', 'name'], ['applicationOffer', 'offer-name'],
      ['block', 'id'], ['branch', 'id'], ['charm', 'charm-url'], ['machine', 'id'], ['relation', 'key'],
      ['remoteApplication', 'name'], ['unit', 'name'], ['widget', 'id'],
    ];
    for (const [kind, field] of cases) {
      const [, , e] = toWireDelta({ removed: true, entity: { kind, modelUUID: M, id: 'x', data: {} } });
      expect(e[field]).toBe('x');
    }
  });

  it('encodes a model with id = model UUID and a removal as "remove"', () => {
    expect(toWireDelta({ removed: true, entity: { kind: 'model', modelUUID: M, id: M, data: { name: 'default' } } }))
      .toEqual(['model', 'remove', { name: 'default', 'model-uuid': M }]);
  });

  it('rejects data holding model-uuid or the id field, and a model whose id differs', () => {
    expect(() => toWireDelta({ removed: false, entity: { kind: 'unit', modelUUID: M, id: 'a/0', data: { name: 'x' } } }))
      .toThrow(expect.objectContaining({ code: 'NotValid' }));
    expect(() => toWireDelta({ removed: false, entity: { kind: 'unit', modelUUID: M, id: 'a/0', data: { 'model-uuid': 'y' } } }))
      .toThrow(/model-uuid/);
    expect(() => toWireDelta({ removed: false, entity: { kind: 'model', modelUUID: M, id: 'other', data: {} } }))
      .toThrow(/must equal/);
  });

  it('passes user keys through untouched at any depth', () => {
    const data = { config: { SomeKey: 1, 'a.b': { Deep: true } }, annotations: { myKey: 'v' } };
    const [, , e] = toWireDelta({ removed: false, entity: { kind: 'application', modelUUID: M, id: 'app', data } });
    expect(e.config).toEqual(data.config);
    expect(e.annotations).toEqual(data.annotations);
  });
});

describe('fromWireDelta', () => {
  it('round-trips every Juju kind', () => {
    for (const kind of ['action', 'annotation', 'application', 'applicationOffer', 'block', 'branch', 'charm', 'machine', 'relation', 'remoteApplication', 'unit']) {
      const d: Delta = { removed: kind === 'machine', entity: { kind, modelUUID: M, id: 'the-id', data: { life: 'alive', n: 3 } } };
      expect(fromWireDelta(JSON.parse(JSON.stringify(toWireDelta(d))))).toEqual(d);
    }
    const m: Delta = { removed: false, entity: { kind: 'model', modelUUID: M, id: M, data: { name: 'x' } } };
    expect(fromWireDelta(toWireDelta(m))).toEqual(m);
  });

  it('fails with the exact texts, checked in order: element count, operation, kind', () => {
    expect(() => fromWireDelta(['unit', 'change'])).toThrow('Expected 3 elements in top-level of JSON but got 2');
    expect(() => fromWireDelta(['unit', 'change', {}, 1])).toThrow('Expected 3 elements in top-level of JSON but got 4');
    expect(() => fromWireDelta(['nope', 'update', {}])).toThrow('Unexpected operation "update"');
    expect(() => fromWireDelta(['nope', 7, {}])).toThrow('Unexpected operation 7');
    expect(() => fromWireDelta(['service', 'change', {}])).toThrow('Unexpected entity name "service"');
  });

  it('marks the unknown-kind error so clients can skip that delta', () => {
    try {
      fromWireDelta(['widget', 'change', { 'model-uuid': M, id: 'w' }]);
      expect.unreachable();
    } catch (err) {
      expect(isUnknownKindError(err)).toBe(true);
    }
    expect(isUnknownKindError(new Error('Unexpected operation "x"'))).toBe(false);
  });

  it('decodes kinds the caller registers', () => {
    const d = fromWireDelta(['widget', 'change', { 'model-uuid': M, slug: 'w1', size: 2 }], { extraKinds: { widget: 'slug' } });
    expect(d).toEqual({ removed: false, entity: { kind: 'widget', modelUUID: M, id: 'w1', data: { size: 2 } } });
  });

  it('rejects a non-array, a non-object entity and missing id fields', () => {
    expect(() => fromWireDelta({ kind: 'unit' })).toThrow(expect.objectContaining({ code: 'BadRequest' }));
    expect(() => fromWireDelta(['unit', 'change', 'x'])).toThrow(/object/);
    expect(() => fromWireDelta(['unit', 'change', { name: 'a/0' }])).toThrow(/model-uuid/);
    expect(() => fromWireDelta(['unit', 'change', { 'model-uuid': M }])).toThrow(/"name"/);
  });
});
