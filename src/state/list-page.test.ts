// State.listPage on both backends: keyset pages in (kind, id) code point order, filtered by model
// and kinds, with `more`; every page read by the database, and bad queries rejected.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ManualClock, hasCode } from '../core/index.js';
import type { EntityInfo } from '../core/index.js';
import { openState } from './open-state.js';
import type { ListPageQuery, State } from './state.js';
import { MAX_PAGE_LIMIT } from './state.js';
import { BACKENDS, freshStatePerTest, modelUUID } from './testdata/backends.js';

const M1 = modelUUID(1);
const M2 = modelUUID(2);
const e = (kind: string, modelUUID: string, id: string): EntityInfo => ({ kind, modelUUID, id, data: { at: `${kind}/${id}` } });
/** Code point order = UTF-8 byte order, the order pages promise ("\u{1F600}" after "\uFFFD", unlike UTF-16 units). */
const byCodePoint = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
const key = (x: EntityInfo): string => `${x.kind}/${x.id}`;

/** Every page of `query` (without after) followed to the end. */
async function allPages(state: State, query: Omit<ListPageQuery, 'after'>): Promise<{ seen: EntityInfo[]; pages: number }> {
  const seen: EntityInfo[] = [];
  let after: ListPageQuery['after'];
  for (let pages = 1; ; pages++) {
    // A cursor that does not advance would page forever: fail instead.
    if (pages > 1000) throw new Error('paging does not end');
    const page = await state.listPage(after === undefined ? query : { ...query, after });
    expect(page.entities.length).toBeLessThanOrEqual(query.limit);
    seen.push(...page.entities);
    const last = page.entities[page.entities.length - 1];
    if (!page.more || last === undefined) return { seen, pages };
    after = { kind: last.kind, id: last.id };
  }
}

for (const makeBackend of BACKENDS) {
  const backend = makeBackend();
  backend.describe(`listPage on ${backend.name}`, () => {
    const state = freshStatePerTest(backend);

    it('pages one model in (kind, id) code point order: every entity once, none of another model', async () => {
      const ids = ['0', '10', '9', 'a', 'B', 'é', '\uFFFD', '\u{1F600}', 'z/0', 'z/10'];
      const mine = ['machine', 'unit', 'application'].flatMap((k) => ids.map((id) => e(k, M1, id)));
      await state().apply([...mine, e('unit', M2, '0'), e('machine', M2, 'x')].map((entity) => ({ op: 'update' as const, entity })));
      const expected = [...mine].sort((a, b) => byCodePoint(a.kind, b.kind) || byCodePoint(a.id, b.id)).map(key);
      for (const limit of [1, 3, 7, 30, 31]) {
        const { seen, pages } = await allPages(state(), { modelUUID: M1, limit });
        expect(seen.map(key)).toEqual(expected);
        expect(pages).toBe(Math.max(1, Math.ceil(mine.length / limit)));
      }
      expect((await state().listPage({ modelUUID: M1, limit: 30 })).more).toBe(false);
      expect((await state().listPage({ modelUUID: M1, limit: 29 })).more).toBe(true);
    });

    it('filters by kinds, counting a kind named twice once; an after past the end gives an empty last page', async () => {
      await state().apply(['machine', 'unit', 'application'].flatMap((k) => ['1', '2'].map((id) => ({ op: 'update' as const, entity: e(k, M1, id) }))));
      const { seen } = await allPages(state(), { modelUUID: M1, kinds: ['unit', 'application', 'unit'], limit: 3 });
      expect(seen.map(key)).toEqual(['application/1', 'application/2', 'unit/1', 'unit/2']);
      expect(await state().listPage({ modelUUID: M1, after: { kind: 'zzz', id: 'x' }, limit: 5 })).toEqual({ entities: [], more: false });
      // An after that names no entity still pages from its position.
      const page = await state().listPage({ modelUUID: M1, after: { kind: 'machine', id: '15' }, limit: 2 });
      expect(page.entities.map(key)).toEqual(['machine/2', 'unit/1']);
      expect(page.entities[0]).toEqual(e('machine', M1, '2'));
    });

    it('a page is as the list reads it, for random models and page sizes', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.record({ kind: fc.constantFrom('machine', 'unit'), id: fc.string({ minLength: 1, maxLength: 4, unit: 'binary' }).filter((s) => !/\p{Cc}/u.test(s)) }), {
            selector: (r) => `${r.kind}/${r.id}`,
            maxLength: 25,
          }),
          fc.integer({ min: 1, max: 8 }),
          async (items, limit) => {
            const fresh = await openState(await backend.fresh(), { clock: new ManualClock(1_000) });
            try {
              if (items.length > 0) await fresh.apply(items.map((r) => ({ op: 'update' as const, entity: e(r.kind, M1, r.id) })));
              const { seen } = await allPages(fresh, { modelUUID: M1, limit });
              const expected = items.map((r) => e(r.kind, M1, r.id)).sort((a, b) => byCodePoint(a.kind, b.kind) || byCodePoint(a.id, b.id));
              expect(seen).toEqual(expected);
            } finally {
              await fresh.close();
            }
          },
        ),
        { numRuns: backend.name === 'postgres' ? 15 : 40 },
      );
    });

    it('rejects a bad query with NotValid naming the field, and reads nothing', async () => {
      const bad: Array<[unknown, string]> = [
        [{ modelUUID: 'nope', limit: 1 }, 'query.modelUUID'],
        [{ modelUUID: M1, limit: 0 }, 'query.limit'],
        [{ modelUUID: M1, limit: MAX_PAGE_LIMIT + 1 }, 'query.limit'],
        [{ modelUUID: M1, limit: 1.5 }, 'query.limit'],
        [{ modelUUID: M1, limit: 1, kinds: [] }, 'query.kinds'],
        [{ modelUUID: M1, limit: 1, kinds: ['Bad Kind'] }, 'query.kinds[0]'],
        [{ modelUUID: M1, limit: 1, after: { kind: 'unit', id: '' } }, 'query.after.id'],
        [{ modelUUID: M1, limit: 1, after: 'unit/0' }, 'query.after'],
        [null, 'query'],
      ];
      for (const [query, field] of bad) {
        const err: unknown = await state().listPage(query as ListPageQuery).catch((x: unknown) => x);
        expect(hasCode(err, 'NotValid')).toBe(true);
        expect((err as Error).message.startsWith(field)).toBe(true);
      }
    });
  });
}
