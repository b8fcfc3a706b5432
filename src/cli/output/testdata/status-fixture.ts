// A small Juju-like model used by the status golden tests (the unit test renders it directly; the
// CLI test writes it to a real controller with `modelwatch apply` and compares the same text).

/** The fixture's entities as `apply` ops (kind, id, data). */
export const STATUS_FIXTURE: ReadonlyArray<{ kind: string; id: string; data: Record<string, unknown> }> = [
  { kind: 'machine', id: '0', data: { life: 'alive', 'agent-status': { current: 'started' }, addresses: [{ value: '10.0.0.10' }], base: { name: 'ubuntu', channel: '22.04' } } },
  { kind: 'machine', id: '1', data: { life: 'alive', 'agent-status': { current: 'pending' }, series: 'jammy' } },
  { kind: 'application', id: 'mysql', data: { life: 'alive', 'charm-url': 'ch:amd64/jammy/mysql-42', status: { current: 'active' } } },
  { kind: 'application', id: 'wordpress', data: { life: 'alive', 'charm-url': 'ch:amd64/jammy/wordpress-7', status: { current: 'waiting' } } },
  { kind: 'unit', id: 'mysql/0', data: { application: 'mysql', 'machine-id': '0', 'public-address': '10.0.0.10', 'workload-status': { current: 'active', message: 'ready' } } },
  { kind: 'unit', id: 'mysql/10', data: { application: 'mysql', 'machine-id': '1', 'workload-status': { current: 'maintenance', message: 'installing' } } },
  { kind: 'unit', id: 'wordpress/0', data: { application: 'wordpress', 'machine-id': '1', 'workload-status': { current: 'waiting', message: 'waiting for db' } } },
  { kind: 'relation', id: 'wordpress:db mysql:db', data: { id: 1, endpoints: [
    { 'application-name': 'wordpress', relation: { name: 'db', role: 'requirer', interface: 'mysql' } },
    { 'application-name': 'mysql', relation: { name: 'db', role: 'provider', interface: 'mysql' } },
  ] } },
  { kind: 'widget', id: 'w1', data: { size: 3 } },
];

/** The golden text below the header line, with no agent connected (every agent "lost"). */
export const STATUS_FIXTURE_BODY = `Machine  Agent  Status   Life   Address    Base
0        lost   started  alive  10.0.0.10  ubuntu@22.04
1        lost   pending  alive  -          jammy

App        Status   Scale  Charm        Life
mysql      active   2      mysql-42     alive
wordpress  waiting  1      wordpress-7  alive

Unit         Workload     Agent  Machine  Address    Message
mysql/0      active       lost   0        10.0.0.10  ready
mysql/10     maintenance  lost   1        -          installing
wordpress/0  waiting      lost   1        -          waiting for db

Relation               Endpoints              Interface
wordpress:db mysql:db  wordpress:db mysql:db  mysql

Kind    Count
widget  1
`;
