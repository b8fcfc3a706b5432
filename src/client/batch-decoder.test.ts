import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '../core/index.js';
import { decodeBatch } from './batch-decoder.js';
import type { KindPolicy } from './batch-decoder.js';

const M = '0b7e2c1a-4d5e-4f60-8a9b-1c2d3e4f5a6b';

function policy(openKinds = true): KindPolicy & { logger: MemoryLogger } {
  return { extraKinds: {}, openKinds, skippedKinds: new Set(), logger: new MemoryLogger() };
}

describe('decodeBatch', () => {
  it('decodes Juju kinds with their id fields, revision and reset', () => {
    const b = decodeBatch({ revision: 1207, reset: true, deltas: [
      ['unit', 'change', { 'model-uuid': M, name: 'mysql/0', application: 'mysql' }],
      ['machine', 'remove', { 'model-uuid': M, id: '3', life: 'dead' }],
    ] }, 0, policy());
    expect(b.revision).toBe(1207);
    expect(b.reset).toBe(true);
    expect(b.deltas).toEqual([
      { removed: false, entity: { kind: 'unit', modelUUID: M, id: 'mysql/0', data: { application: 'mysql' } } },
      { removed: true, entity: { kind: 'machine', modelUUID: M, id: '3', data: { life: 'dead' } } },
    ]);
  });

  it('an unknown kind is skipped and logged once per kind, never abandoning the batch', () => {
    const p = policy(false);
    const batch = { revision: 5, deltas: [
      ['gadget', 'change', { 'model-uuid': M, id: 'g1' }],
      ['unit', 'change', { 'model-uuid': M, name: 'a/0' }],
      ['gadget', 'change', { 'model-uuid': M, id: 'g2' }],
    ] };
    expect(decodeBatch(batch, 0, p).deltas.map((d) => d.entity.id)).toEqual(['a/0']);
    expect(decodeBatch(batch, 0, p).deltas.map((d) => d.entity.id)).toEqual(['a/0']);
    expect(p.logger.at('warn')).toHaveLength(1);
    expect(p.logger.at('warn')[0]?.msg).toContain('Unexpected entity name "gadget"');
  });

  it('open kinds (the default) decode other kinds by their id field', () => {
    const b = decodeBatch({ revision: 5, deltas: [['widget', 'change', { 'model-uuid': M, id: 'w1', size: 3 }]] }, 0, policy());
    expect(b.deltas).toEqual([{ removed: false, entity: { kind: 'widget', modelUUID: M, id: 'w1', data: { size: 3 } } }]);
  });

  it('a malformed delta is skipped, the rest delivered', () => {
    const p = policy();
    const b = decodeBatch({ revision: 2, deltas: [['unit', 'explode', {}], ['unit', 'change', { 'model-uuid': M, name: 'a/0' }], 'junk'] }, 0, p);
    expect(b.deltas).toHaveLength(1);
    expect(p.logger.at('warn').length).toBeGreaterThan(0);
  });

  it('without a revision (a Juju server) keeps the fallback; without reset it is not a snapshot', () => {
    const b = decodeBatch({ deltas: [] }, 41, policy());
    expect(b).toEqual({ deltas: [], revision: 41, reset: false });
  });

  it('rejects a batch whose deltas are not a list', () => {
    expect(() => decodeBatch({ deltas: {} }, 0, policy())).toThrow('malformed response: deltas must be an array');
  });
});
