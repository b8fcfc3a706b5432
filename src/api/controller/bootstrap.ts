// First start of a controller on a database: the `controller` and `default` models (as Juju
// bootstraps them) and the admin user. Idempotent: later starts find them and change nothing.
import { createHash, randomUUID } from 'node:crypto';
import type { Clock, EntityInfo, Logger } from '../../core/index.js';
import type { State } from '../../state/index.js';

/** Names of the models every controller has. */
export const CONTROLLER_MODEL = 'controller';
export const DEFAULT_MODEL = 'default';

/** What bootstrap found or made. */
export interface BootstrapResult {
  controllerModelUUID: string;
  defaultModelUUID: string | undefined;
  /** Derived from the controller model, so every controller sharing the database agrees on it. */
  controllerUUID: string;
  /** Models created by this call (and kept: not duplicates of another controller's). */
  created: string[];
}

/**
 * Ensures the controller and default models exist (owned by `owner`).
 * Two controllers bootstrapping an empty (PostgreSQL) database at the same instant may both create
 * the models. They converge: after creating, each reads the models again, takes the same winner
 * per name (the oldest `created-at`, then the smallest UUID) and removes the models it created
 * that lost. RISK: a client that reached a losing model in that window of a few milliseconds sees
 * it removed.
 */
export async function bootstrapModels(state: State, owner: string, clock: Clock, logger: Logger): Promise<BootstrapResult> {
  const byName = winnerByName(await state.list({ kind: 'model' }));
  let controllerModel = byName(CONTROLLER_MODEL);
  let defaultModel = byName(DEFAULT_MODEL);
  const fresh = controllerModel === undefined;
  const make = (name: string): EntityInfo => {
    const uuid = randomUUID();
    return { kind: 'model', modelUUID: uuid, id: uuid, data: { name, owner, 'owner-tag': `user-${owner}`, type: 'iaas', life: 'alive', 'created-at': new Date(clock.now()).toISOString() } };
  };
  const ops: Array<{ op: 'update'; entity: EntityInfo }> = [];
  if (controllerModel === undefined) {
    controllerModel = make(CONTROLLER_MODEL);
    ops.push({ op: 'update', entity: controllerModel });
  }
  if (fresh && defaultModel === undefined) {
    defaultModel = make(DEFAULT_MODEL);
    ops.push({ op: 'update', entity: defaultModel });
  }
  const mine = ops.map((o) => o.entity);
  let created: string[] = [];
  if (mine.length > 0) {
    await state.apply(ops);
    logger.info('bootstrapped models', { created: mine.map(nameOf) });
    // Another controller may have bootstrapped the same database at the same time: converge on
    // the winners, and take back what we made that lost.
    const winner = winnerByName(await state.list({ kind: 'model' }));
    const lost = mine.filter((m) => winner(nameOf(m))?.id !== m.id);
    if (lost.length > 0) {
      await state.apply(lost.map((m) => ({ op: 'remove' as const, id: { kind: 'model', modelUUID: m.modelUUID, id: m.id } })));
      logger.info('another controller bootstrapped the same database at the same time; removed the duplicate models made here', {
        removed: lost.map((m) => m.modelUUID),
      });
    }
    controllerModel = winner(CONTROLLER_MODEL) ?? controllerModel;
    defaultModel = winner(DEFAULT_MODEL) ?? defaultModel;
    created = mine.filter((m) => !lost.includes(m)).map(nameOf);
  }
  return {
    controllerModelUUID: controllerModel.modelUUID,
    defaultModelUUID: defaultModel?.modelUUID,
    controllerUUID: deriveControllerUUID(controllerModel.modelUUID),
    created,
  };
}

/** name → the model every controller agrees on for it: the oldest `created-at`, then the smallest id. */
function winnerByName(models: EntityInfo[]): (name: string) => EntityInfo | undefined {
  return (name) =>
    models
      .filter((m) => m.data.name === name)
      .sort((a, b) => createdAt(a).localeCompare(createdAt(b)) || a.id.localeCompare(b.id))[0];
}

function nameOf(m: EntityInfo): string {
  return String(m.data.name);
}

function createdAt(m: EntityInfo): string {
  const v = m.data['created-at'];
  return typeof v === 'string' ? v : '';
}

/** A stable UUID (v4 layout) derived from the controller model's UUID. */
export function deriveControllerUUID(controllerModelUUID: string): string {
  const h = createHash('sha256').update(`modelwatch-controller:${controllerModelUUID}`).digest('hex');
  const variant = ((parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
