// Who a REST request is: HTTP Basic (`user:password`, or an agent's tag and password) checked by the
// auth service's login (so the same rate limits and delays apply), or `Bearer <token>` from
// `POST /v1/login`. Nothing here logs or echoes a credential.
import type { IncomingMessage } from 'node:http';
import { ModelwatchError } from '../../core/index.js';
import { parseAuthTag } from '../auth/tags.js';
import type { AuthService, Identity } from '../services.js';

/** Longest Authorization header accepted (a 1,024-character password in base64 plus a tag). */
const MAX_AUTHORIZATION_LENGTH = 4096;

/**
 * The identity of a request. `modelUUID` is the model the route acts on: a Basic login is made as a
 * login on that model's connection (so agents may use their own model only).
 * @throws ModelwatchError Unauthorized (401) without usable credentials, TryAgain (429) when rate
 *   limited, PermissionDenied (403) for a user without access to that model.
 */
export async function authenticate(req: IncomingMessage, auth: AuthService, modelUUID: string | undefined): Promise<Identity> {
  const header = req.headers.authorization;
  if (header === undefined || header === '') throw new ModelwatchError('Unauthorized', 'not logged in');
  if (header.length > MAX_AUTHORIZATION_LENGTH) throw new ModelwatchError('Unauthorized', 'invalid entity name or password');
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? '' : header.slice(space + 1).trim();
  if (scheme === 'bearer') {
    const identity = await auth.resolveToken(value);
    if (identity === undefined) throw new ModelwatchError('Unauthorized', 'invalid or expired token');
    return identity;
  }
  if (scheme !== 'basic') throw new ModelwatchError('Unauthorized', 'invalid entity name or password');
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  return auth.login({ tag: basicUserTag(user), password, modelUUID, remoteAddress: req.socket.remoteAddress ?? '' });
}

/**
 * The auth tag of a Basic user name: a full tag (`user-bob`, `machine-0`, `unit-app-1`) as it is,
 * anything else as a user name (`bob` → `user-bob`). A user literally named `machine-0` logs in as
 * `user-machine-0`.
 */
export function basicUserTag(user: string): string {
  const parsed = parseAuthTag(user);
  if (parsed !== undefined && (parsed.kind !== 'user' || user.startsWith('user-'))) return user;
  return `user-${user}`;
}
