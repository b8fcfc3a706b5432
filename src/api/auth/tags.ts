// Juju tags of the identities that log in: user-<name>, machine-<id>, unit-<app>-<n>.
// `unit-my-app-12` is unit `my-app/12`; `machine-0-lxd-1` is machine `0/lxd/1`.

/** A parsed auth tag. */
export type AuthTag =
  | { kind: 'user'; name: string }
  | { kind: 'machine'; id: string }
  | { kind: 'unit'; name: string };

const USER_RE = /^user-([a-z0-9][a-zA-Z0-9.+-]{0,63})$/;
const MACHINE_RE = /^machine-(\d+(?:-[a-z]+-\d+)*)$/;
const UNIT_RE = /^unit-([a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*)-(\d+)$/;

/** Parses an auth tag; undefined when it is none of the three forms. */
export function parseAuthTag(tag: string): AuthTag | undefined {
  let m = USER_RE.exec(tag);
  if (m?.[1] !== undefined) return { kind: 'user', name: m[1] };
  m = MACHINE_RE.exec(tag);
  if (m?.[1] !== undefined) return { kind: 'machine', id: m[1].replace(/-([a-z]+)-/g, '/$1/') };
  m = UNIT_RE.exec(tag);
  if (m?.[1] !== undefined && m[2] !== undefined) return { kind: 'unit', name: `${m[1]}/${m[2]}` };
  return undefined;
}

/** The tag of a unit name (`my-app/12` → `unit-my-app-12`) or machine id (`0/lxd/1` → `machine-0-lxd-1`). */
export function agentTag(kind: 'unit' | 'machine', id: string): string {
  return kind === 'unit' ? `unit-${id.replace('/', '-')}` : `machine-${id.replace(/\//g, '-')}`;
}

/** The presence key of an agent (spec/presence.md §3.1): m#<machineId>, u#<unitName>. */
export function presenceKeyOf(tag: AuthTag): string | undefined {
  if (tag.kind === 'machine') return `m#${tag.id}`;
  if (tag.kind === 'unit') return `u#${tag.name}`;
  return undefined;
}

/** True for a valid user name (the part after `user-`). */
export function isValidUserName(name: string): boolean {
  return USER_RE.test(`user-${name}`);
}
