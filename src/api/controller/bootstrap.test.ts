// Bootstrap of an empty database, alone and racing another controller on the same database.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, nullLogger } from '../../core/index.js';
import type { EntityInfo } from '../../core/index.js';
import { openState } from '../../state/index.js';
import type { State } from '../../state/index.js';
import { createTestDatabase, describePostgres } from '../../testing/index.js';
import type { TestDatabase } from '../../testing/index.js';
import { CONTROLLER_MODEL, DEFAULT_MODEL, bootstrapModels } from './bootstrap.js';

const names = (models: EntityInfo[]): string[] => models.map((m) => String(m.data.name)).sort();

async function expectConverged(state: State, results: Array<Awaited<ReturnType<typeof bootstrapModels>>>): Promise<void> {
  const models = await state.list({ kind: 'model' });
  expect(names(models)).toEqual([CONTROLLER_MODEL, DEFAULT_MODEL]);
  const ctrl = models.find((m) => m.data.name === CONTROLLER_MODEL);
  const dflt = models.find((m) => m.data.name === DEFAULT_MODEL);
  for (const r of results) {
    expect(r.controllerModelUUID).toBe(ctrl?.modelUUID);
    expect(r.defaultModelUUID).toBe(dflt?.modelUUID);
  }
  expect(new Set(results.map((r) => r.controllerUUID)).size).toBe(1);
  // Exactly one of the racers is credited with each model.
  expect(results.flatMap((r) => r.created).sort()).toEqual([CONTROLLER_MODEL, DEFAULT_MODEL]);
}

describe('bootstrapModels', () => {
  let state: State | undefined;
  afterEach(async () => {
    await state?.close();
    state = undefined;
  });

  it('creates the controller and default models once; a later start changes nothing', async () => {
    state = await openState('sqlite::memory:', { clock: new ManualClock(1_000) });
    const first = await bootstrapModels(state, 'admin', new ManualClock(1_000), nullLogger);
    expect(first.created).toEqual([CONTROLLER_MODEL, DEFAULT_MODEL]);
    const again = await bootstrapModels(state, 'admin', new ManualClock(2_000), nullLogger);
    expect(again.created).toEqual([]);
    expect(again.controllerUUID).toBe(first.controllerUUID);
    await expectConverged(state, [first, again]);
  });

  it('two controllers bootstrapping an empty database at once converge on one controller and one default model', async () => {
    state = await openState('sqlite::memory:', { clock: new ManualClock(1_000) });
    // Both read the empty database before either writes (the race), at different clock readings.
    const results = await Promise.all([
      bootstrapModels(state, 'admin', new ManualClock(1_000), nullLogger),
      bootstrapModels(state, 'admin', new ManualClock(1_001), nullLogger),
    ]);
    await expectConverged(state, results);
  });
});

describePostgres('bootstrapModels on PostgreSQL', () => {
  let db: TestDatabase;
  const states: State[] = [];
  afterEach(async () => {
    for (const s of states.splice(0)) await s.close();
    await db.drop();
  });

  it('two controllers racing on one empty PostgreSQL database converge, whatever the clock readings', async () => {
    db = await createTestDatabase('bootstrap');
    for (let i = 0; i < 3; i++) states.push(await openState(db.url, { clock: new ManualClock(5_000) }));
    // The same created-at for all three: the smallest UUID decides.
    const results = await Promise.all(states.map((s) => bootstrapModels(s, 'admin', new ManualClock(5_000), nullLogger)));
    await expectConverged(states[0] as State, results);
  });
});
