// The error a follower callback ends a watch with: it names the callback and the entity, and keeps
// the thrown value itself as `cause` (spec/follower.md §3.5).
import type { EntityId } from '../core/index.js';
import { entityIdOf, errorMessage } from '../core/index.js';

/** The four follower callbacks whose failures are wrapped. */
export type FollowerCallbackName = 'onNew' | 'onUpdated' | 'onDeleted' | 'onBatchDone';

/**
 * A follower callback threw or rejected. Message: `onNew unit mysql/0: <cause's message>` (kind,
 * a space, id), or `onBatchDone: <cause's message>`; a non-Error cause is rendered with String().
 * Extends Error as the spec binds it (not ModelwatchError): the failure is the consumer's, and its
 * cause carries whatever code it has.
 */
export class FollowerCallbackError extends Error {
  readonly callback: FollowerCallbackName;
  /** The entity the callback was about; undefined for onBatchDone. */
  readonly entity: EntityId | undefined;
  /** The thrown value itself. */
  declare readonly cause: unknown;

  constructor(callback: FollowerCallbackName, entity: EntityId | undefined, cause: unknown) {
    const about = entity === undefined ? '' : ` ${entity.kind} ${entity.id}`;
    super(`${callback}${about}: ${errorMessage(cause)}`, { cause });
    this.name = 'FollowerCallbackError';
    this.callback = callback;
    this.entity = entity === undefined ? undefined : entityIdOf(entity);
  }
}
