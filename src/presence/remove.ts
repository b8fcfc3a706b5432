// removePresenceForModel (spec §4.5): deletes a model's presence in one transaction, idempotently.
import { ModelwatchError, errorMessage } from '../core/index.js';
import type { PresenceStore } from './store.js';
import { validateModel } from './validate.js';

/**
 * Deletes every ping, being and sequence counter of the model. Missing rows are not an error; other
 * models are untouched. It stops nothing: stop the model's pingers and watchers first.
 * @throws ModelwatchError NotValid for a bad UUID; Internal `errors removing presence for model "<uuid>"`.
 */
export async function removePresenceForModel(store: PresenceStore, modelUUID: string): Promise<void> {
  validateModel(modelUUID);
  try {
    await store.removeModel(modelUUID);
  } catch (err) {
    throw new ModelwatchError('Internal', `errors removing presence for model "${modelUUID}": ${errorMessage(err)}`, { cause: err });
  }
}
