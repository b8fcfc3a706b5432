// prom-client metrics of the state store (`modelwatch_state_*`). Created unregistered unless a
// registry is given, so a process may open several States; report() reads the same numbers.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

export class StateMetrics {
  readonly commits: Counter;
  readonly changes: Counter;
  readonly commitSeconds: Histogram;
  readonly listenerLagSeconds: Histogram;
  readonly reconnects: Counter;
  readonly readErrors: Counter;
  readonly compactedRevision: Gauge;

  constructor(registry: Registry | undefined) {
    const registers = registry === undefined ? [] : [registry];
    this.commits = new Counter({ name: 'modelwatch_state_commits_total', help: 'Transactions that committed a revision', registers });
    this.changes = new Counter({ name: 'modelwatch_state_changes_total', help: 'Change rows logged', registers });
    this.commitSeconds = new Histogram({
      name: 'modelwatch_state_commit_seconds',
      help: 'apply() latency, validation to durable commit',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.listenerLagSeconds = new Histogram({
      name: 'modelwatch_state_listener_lag_seconds',
      help: 'Commit time to delivery to backing listeners (writer and reader clocks)',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    });
    this.reconnects = new Counter({ name: 'modelwatch_state_reconnects_total', help: 'LISTEN connection re-establishments', registers });
    this.readErrors = new Counter({ name: 'modelwatch_state_read_errors_total', help: 'Failed change-log reads by backings (retried)', registers });
    this.compactedRevision = new Gauge({ name: 'modelwatch_state_compacted_revision', help: 'Highest revision compacted away', registers });
  }

  /** Removes the metrics from the registry (on close), so a new State may register again. */
  unregister(registry: Registry | undefined): void {
    if (registry === undefined) return;
    for (const name of [
      'modelwatch_state_commits_total', 'modelwatch_state_changes_total', 'modelwatch_state_commit_seconds',
      'modelwatch_state_listener_lag_seconds', 'modelwatch_state_reconnects_total', 'modelwatch_state_read_errors_total',
      'modelwatch_state_compacted_revision',
    ]) registry.removeSingleMetric(name);
  }
}
