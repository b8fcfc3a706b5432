// Pinger v1 (spec/protocol.md §4): a no-op any logged-in identity may call (python-libjuju every 10 s).
// Agent presence is driven by the connection itself, never by these calls.
import type { FacadeSpec } from './context.js';

export const pingerFacade: FacadeSpec = {
  name: 'Pinger',
  versions: [1],
  offeredOn: 'both',
  methods: { Ping: { access: 'any', call: () => Promise.resolve({}) } },
};
