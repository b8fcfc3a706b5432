// The comparable one-line form of a relation state, shared by the crash writer and its test.
import type { RelationState } from '../index.js';

/** Members in sorted order plus the owed changed, as JSON. */
export function stateLine(state: RelationState): string {
  return JSON.stringify({ members: [...state.members].sort(), changedPending: state.changedPending });
}
