// `modelwatch status`: a `juju status`-like view of one model, grouped by kind (machines,
// applications, units with their agents' presence, relations, other kinds counted). Pure: from
// entities and presence to text, so it is tested with golden text.
import type { EntityInfo } from '../../core/index.js';
import { textTable } from './text-table.js';

/** Everything the view shows. */
export interface StatusInput {
  modelName: string;
  controller: string;
  revision: number;
  entities: readonly EntityInfo[];
  /** Agent tag → alive; missing when unknown. */
  presence: ReadonlyMap<string, boolean>;
}

/** The agent tag of a unit (`mysql/0` → `unit-mysql-0`) or machine (`0/lxd/1` → `machine-0-lxd-1`). */
export function agentTag(kind: 'unit' | 'machine', id: string): string {
  return `${kind}-${id.replace(/\//g, '-')}`;
}

/** The agent tags status watches presence for. */
export function agentTags(entities: readonly EntityInfo[]): string[] {
  const tags: string[] = [];
  for (const e of entities) if (e.kind === 'unit' || e.kind === 'machine') tags.push(agentTag(e.kind, e.id));
  return tags.sort();
}

/** Renders the view. */
export function renderStatus(input: StatusInput): string {
  const byKind = new Map<string, EntityInfo[]>();
  for (const e of input.entities) {
    if (e.kind === 'model') continue;
    const list = byKind.get(e.kind) ?? [];
    list.push(e);
    byKind.set(e.kind, list);
  }
  for (const list of byKind.values()) list.sort((a, b) => naturalCompare(a.id, b.id));
  const count = input.entities.filter((e) => e.kind !== 'model').length;
  const sections = [textTable([['Model', 'Controller', 'Revision', 'Entities'], [input.modelName, input.controller, String(input.revision), String(count)]])];
  const agent = (kind: 'unit' | 'machine', id: string): string => {
    const alive = input.presence.get(agentTag(kind, id));
    return alive === undefined ? '-' : alive ? 'alive' : 'lost';
  };
  const machines = byKind.get('machine') ?? [];
  if (machines.length > 0) {
    sections.push(textTable([['Machine', 'Agent', 'Status', 'Life', 'Address', 'Base'], ...machines.map((m) => [
      m.id, agent('machine', m.id), str(m.data, 'agent-status', 'current'), str(m.data, 'life'), firstAddress(m.data), base(m.data),
    ])]));
  }
  const units = byKind.get('unit') ?? [];
  const apps = byKind.get('application') ?? [];
  if (apps.length > 0) {
    sections.push(textTable([['App', 'Status', 'Scale', 'Charm', 'Life'], ...apps.map((a) => [
      a.id, str(a.data, 'status', 'current'), String(units.filter((u) => u.data.application === a.id).length), charm(a.data), str(a.data, 'life'),
    ])]));
  }
  if (units.length > 0) {
    sections.push(textTable([['Unit', 'Workload', 'Agent', 'Machine', 'Address', 'Message'], ...units.map((u) => [
      u.id, str(u.data, 'workload-status', 'current'), agent('unit', u.id), str(u.data, 'machine-id'), str(u.data, 'public-address'),
      optional(u.data, 'workload-status', 'message'),
    ])]));
  }
  const relations = byKind.get('relation') ?? [];
  if (relations.length > 0) {
    sections.push(textTable([['Relation', 'Endpoints', 'Interface'], ...relations.map((r) => [r.id, endpoints(r.data), iface(r.data)])]));
  }
  const shown = new Set(['machine', 'application', 'unit', 'relation']);
  const others = [...byKind.entries()].filter(([k]) => !shown.has(k)).sort(([a], [b]) => a.localeCompare(b));
  if (others.length > 0) sections.push(textTable([['Kind', 'Count'], ...others.map(([k, list]) => [k, String(list.length)])]));
  return sections.join('\n');
}

/** A string field (optionally nested one level), `-` when absent. */
function str(data: Readonly<Record<string, unknown>>, key: string, sub?: string): string {
  const v = optional(data, key, sub);
  return v === '' ? '-' : v;
}

function optional(data: Readonly<Record<string, unknown>>, key: string, sub?: string): string {
  let v: unknown = data[key];
  if (sub !== undefined) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[sub] : undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

function firstAddress(data: Readonly<Record<string, unknown>>): string {
  const list = data.addresses;
  if (Array.isArray(list)) {
    const first: unknown = list[0];
    if (first !== null && typeof first === 'object' && typeof (first as Record<string, unknown>).value === 'string') return (first as Record<string, string>).value ?? '-';
  }
  return str(data, 'address');
}

function base(data: Readonly<Record<string, unknown>>): string {
  const name = optional(data, 'base', 'name');
  const channel = optional(data, 'base', 'channel');
  if (name !== '') return channel === '' ? name : `${name}@${channel}`;
  return str(data, 'series');
}

/** `ch:amd64/jammy/mysql-42` → `mysql-42`. */
function charm(data: Readonly<Record<string, unknown>>): string {
  const url = optional(data, 'charm-url');
  if (url === '') return '-';
  return url.slice(url.lastIndexOf(':') + 1).split('/').at(-1) ?? url;
}

function endpointList(data: Readonly<Record<string, unknown>>): Record<string, unknown>[] {
  const eps = data.endpoints;
  return Array.isArray(eps) ? eps.filter((e): e is Record<string, unknown> => e !== null && typeof e === 'object') : [];
}

function endpoints(data: Readonly<Record<string, unknown>>): string {
  const parts = endpointList(data).map((e) => `${optional(e, 'application-name')}:${optional(e, 'relation', 'name')}`);
  return parts.length === 0 ? '-' : parts.join(' ');
}

function iface(data: Readonly<Record<string, unknown>>): string {
  const first = endpointList(data)[0];
  return first === undefined ? '-' : str(first, 'relation', 'interface');
}

/** Orders `mysql/2` before `mysql/10`. */
function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
