// Who the client logs in as, and the Admin.Login params for it (spec/protocol.md §3).
import { NotValidError } from '../core/index.js';

/** A user with a password. */
export interface PasswordCredentials {
  user: string;
  password: string;
}
/** A user with a bearer token from `POST /v1/login` (see docs/client.md: needs server support). */
export interface TokenCredentials {
  user: string;
  token: string;
}
/** An agent with a bearer token (what a session reconnects with after an agent password login). */
export interface AgentTokenCredentials {
  tag: string;
  token: string;
}
/** An agent (`machine-<id>`, `unit-<app>-<n>`) with its agent password. */
export interface AgentCredentials {
  tag: string;
  password: string;
  nonce?: string;
}
export type Credentials = PasswordCredentials | TokenCredentials | AgentCredentials | AgentTokenCredentials;

/** The client's version, sent as `client-version` (accepted, never validated). */
export const CLIENT_VERSION = '3.6.0';

/**
 * Validates credentials at construction.
 * @throws NotValidError `missing user not valid`, `missing password not valid`, …
 */
export function validateCredentials(c: unknown): Credentials {
  if (c === null || typeof c !== 'object') throw new NotValidError('missing credentials not valid');
  const o = c as Record<string, unknown>;
  if (typeof o.tag === 'string') {
    if (!/^(machine|unit)-[a-z0-9-]+$/.test(o.tag)) throw new NotValidError(`agent tag ${JSON.stringify(o.tag)} not valid`);
    if (typeof o.token === 'string' && o.token !== '') return { tag: o.tag, token: o.token };
    if (typeof o.password !== 'string' || o.password === '') throw new NotValidError('missing password not valid');
    return o.nonce === undefined ? { tag: o.tag, password: o.password } : { tag: o.tag, password: o.password, nonce: typeof o.nonce === 'string' ? o.nonce : '' };
  }
  if (typeof o.user !== 'string' || o.user === '') throw new NotValidError('missing user not valid');
  if (typeof o.token === 'string' && o.token !== '') return { user: o.user, token: o.token };
  if (typeof o.password !== 'string' || o.password === '') throw new NotValidError('missing password not valid');
  return { user: o.user, password: o.password };
}

/** The auth tag credentials log in as (`user-<name>` or the agent tag). */
export function authTagOf(c: Credentials): string {
  return 'tag' in c ? c.tag : `user-${c.user}`;
}

/**
 * Admin.Login params. A token travels as `token` (a modelwatch extension, additive: Juju servers
 * ignore it) with empty `credentials`, so it is never checked as a password. With `issueToken`, a
 * password login asks for a bearer token to reconnect with (`issue-token`, also ignored by Juju).
 */
export function loginParams(c: Credentials, opts: { issueToken?: boolean } = {}): Record<string, unknown> {
  const params: Record<string, unknown> = { 'auth-tag': authTagOf(c), 'client-version': CLIENT_VERSION, macaroons: [] };
  if ('token' in c) {
    params.credentials = '';
    params.token = c.token;
  } else {
    params.credentials = c.password;
    params.nonce = 'tag' in c ? (c.nonce ?? '') : '';
    if (opts.issueToken === true) params['issue-token'] = true;
  }
  return params;
}

/** The credentials a session reconnects with once a password login gave it `token`. */
export function withToken(c: Credentials, token: string): Credentials {
  return 'tag' in c ? { tag: c.tag, token } : { user: c.user, token };
}

/** HTTP Authorization header value for REST calls. */
export function authorizationHeader(c: Credentials): string {
  if ('token' in c) return `Bearer ${c.token}`;
  const user = 'tag' in c ? c.tag : c.user;
  return `Basic ${base64(`${user}:${c.password}`)}`;
}

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}
