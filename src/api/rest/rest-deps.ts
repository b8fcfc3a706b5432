// What the REST routes are built from: the controller's services and user management.
import { NotValidError } from '../../core/index.js';
import type { UserAdmin } from '../auth/user-admin.js';
import type { ControllerServices } from '../services.js';

/** Dependencies of createRestHandler. */
export interface RestDeps {
  services: ControllerServices;
  admin: UserAdmin;
}

/** @throws NotValidError "missing ControllerServices not valid" / "missing UserAdmin not valid". */
export function validateRestDeps(deps: unknown): asserts deps is RestDeps {
  const d = (typeof deps === 'object' && deps !== null ? deps : {}) as Record<string, unknown>;
  const s = d.services as Partial<ControllerServices> | undefined;
  if (typeof s !== 'object' || typeof s.state !== 'object' || typeof s.auth !== 'object' || typeof s.clock !== 'object') {
    throw new NotValidError('missing ControllerServices not valid');
  }
  const a = d.admin as Partial<UserAdmin> | undefined;
  if (typeof a !== 'object' || typeof a.addUser !== 'function') throw new NotValidError('missing UserAdmin not valid');
}
