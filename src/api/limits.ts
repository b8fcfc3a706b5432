// Default limits of the API edges (spec/protocol.md §2.3, §2.5, §9).
import type { ApiLimits } from './services.js';

export const DEFAULT_API_LIMITS: ApiLimits = Object.freeze({
  // 4 MiB: Juju's and python-libjuju's default frame size.
  maxMessageBytes: 4 * 1024 * 1024,
  maxRequestsInFlight: 64,
  maxWatchersPerConnection: 100,
  loginTimeoutMs: 30_000,
  // K = P = 30 s (spec/presence.md §7): a silent agent death is seen in about K + 1 s.
  keepaliveMs: 30_000,
  // 8 MiB: two max-size frames queued; beyond that the peer is not reading.
  maxBufferedBytes: 8 * 1024 * 1024,
});
