// modelwatch/cluster: `modelwatch serve --workers N` — a primary that forks N controller processes
// on one database and one listening socket, relays their rings (SQLite) and sums their metrics, and
// each worker's link back to it.

/** `ClusterSupervisor.start(config)`: the primary (fork, relay, restart with back-off, aggregated metrics). */
export { ClusterSupervisor, MAX_WORKERS } from './supervisor.js';
export type { ClusterSupervisorConfig } from './supervisor.js';
/** A worker's link to its primary: SqlitePeers over IPC, `listening`, cluster metrics, stats answers. */
export { PrimaryLink } from './primary-link.js';
export type { PrimaryLinkConfig, IpcChannel } from './primary-link.js';
export { parseClusterMessage } from './messages.js';
export type { ClusterMessage, ParsedMessage, RegistryMetrics, WorkerStats } from './messages.js';
