// Two States on one SQLite file, as `serve --workers` runs them: with peers, a commit or a presence
// ring of one reaches the other at once; without, only on the next poll. A ManualClock keeps the poll
// from ever firing, so a change that arrives can only have come through the peers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, MemoryLogger, entityKey, hasCode } from '../../core/index.js';
import type { BackingChange, BackingStore, EntityInfo } from '../../core/index.js';
import { openState } from '../open-state.js';
import type { PeerRing, SqlitePeers } from '../peers.js';
import type { State } from '../state.js';
import { modelUUID } from '../testdata/backends.js';

const M = modelUUID(3);
const machine = (id: string, n: number): EntityInfo => ({ kind: 'machine', modelUUID: M, id, data: { n } });

/** Two ends of an asynchronous relay (delivery on a later task, as over IPC), counting what crossed. */
function relayPair(): [SqlitePeers & { sent: PeerRing[] }, SqlitePeers & { sent: PeerRing[] }] {
  const listeners: Set<(r: PeerRing) => void>[] = [new Set(), new Set()];
  const end = (mine: number) => ({
    sent: [] as PeerRing[],
    publish(ring: PeerRing) {
      this.sent.push(ring);
      const copy = JSON.parse(JSON.stringify(ring)) as PeerRing; // what IPC would hand over
      setImmediate(() => listeners[1 - mine]?.forEach((l) => l(copy)));
    },
    subscribe(l: (r: PeerRing) => void) {
      listeners[mine]?.add(l);
      return () => listeners[mine]?.delete(l);
    },
  });
  return [end(0), end(1)];
}

const tick = () => new Promise((r) => setImmediate(r));
const mapStore = (): BackingStore => {
  const map = new Map<string, EntityInfo>();
  return { update: (i) => void map.set(entityKey(i), i), remove: (id) => void map.delete(entityKey(id)), get: (id) => map.get(entityKey(id)) };
};

describe('SQLite peers (one file, several processes)', () => {
  let dir = '';
  const opened: State[] = [];
  const open = async (peers?: SqlitePeers): Promise<State> => {
    const s = await openState(`sqlite:${join(dir, 'state.db')}`, { clock: new ManualClock(0), ...(peers === undefined ? {} : { peers }) });
    opened.push(s);
    return s;
  };
  const setup = () => (dir = mkdtempSync(join(tmpdir(), 'mw-peers-')));
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a commit on one State reaches another State's backing at once, with its exact rows", async () => {
    setup();
    const [pa, pb] = relayPair();
    const a = await open(pa);
    const b = await open(pb);
    const backing = b.allWatcherBacking();
    const seen: BackingChange[] = [];
    backing.watch((c) => seen.push(c));
    expect(await backing.getAll(mapStore())).toBe(0);
    await a.apply([{ op: 'update', entity: machine('0', 1) }, { op: 'update', entity: machine('1', 1) }]);
    await a.update(machine('0', 2));
    for (let i = 0; i < 20 && seen.length < 3; i++) await tick();
    expect(seen.map((c) => [c.id, c.rev])).toEqual([['0', 1], ['1', 1], ['0', 2]]);
    expect(pa.sent.map((r) => (r.kind === 'state' ? r.rev : r.kind))).toEqual([1, 2]);
    // A write that changes nothing consumes no revision and rings no one.
    await a.update(machine('0', 2));
    expect(pa.sent).toHaveLength(2);
  });

  it('without peers the other State hears nothing until its poll (the hazard peers remove)', async () => {
    setup();
    const a = await open();
    const b = await open();
    const backing = b.allWatcherBacking();
    const seen: BackingChange[] = [];
    backing.watch((c) => seen.push(c));
    await backing.getAll(mapStore());
    await a.update(machine('0', 1));
    for (let i = 0; i < 20; i++) await tick();
    expect(seen).toEqual([]);
  });

  it("rings arriving out of order still give every change once, in order (the backing reads what it lacks)", async () => {
    setup();
    const [pa, pb] = relayPair();
    const held: PeerRing[] = [];
    const listeners = new Set<(r: PeerRing) => void>();
    const reorder: SqlitePeers = { publish: (r) => pb.publish(r), subscribe: (l) => (listeners.add(l), () => listeners.delete(l)) };
    pb.subscribe((r) => held.push(r));
    const a = await open(pa);
    const b = await open(reorder);
    const backing = b.allWatcherBacking();
    const seen: BackingChange[] = [];
    backing.watch((c) => seen.push(c));
    await backing.getAll(mapStore());
    await a.update(machine('0', 1));
    await a.update(machine('1', 1));
    await a.update(machine('2', 1));
    for (let i = 0; i < 20 && held.length < 3; i++) await tick();
    for (const r of [held[2], held[0], held[1]]) listeners.forEach((l) => l(r as PeerRing));
    for (let i = 0; i < 20 && seen.length < 3; i++) await tick();
    expect(seen.map((c) => c.id)).toEqual(['0', '1', '2']);
  });

  it("a presence ring of one State's store reaches the other's listeners, and is not sent back", async () => {
    setup();
    const [pa, pb] = relayPair();
    const a = await open(pa);
    const b = await open(pb);
    const heard: string[] = [];
    b.presenceStore().onRing((m) => heard.push(m));
    a.presenceStore().ring(M);
    for (let i = 0; i < 20 && heard.length < 1; i++) await tick();
    expect(heard).toEqual([M]);
    expect(pb.sent).toEqual([]);
  });

  it('a publish that throws is logged; every apply of the turn still settles and rings here, and close() still closes', async () => {
    setup();
    const logger = new MemoryLogger();
    const broken: SqlitePeers = { publish: () => { throw new Error('relay down'); }, subscribe: () => () => undefined };
    const a = await openState(`sqlite:${join(dir, 'state.db')}`, { clock: new ManualClock(0), logger, peers: broken });
    opened.push(a);
    const backing = a.allWatcherBacking();
    const seen: string[] = [];
    backing.watch((c) => seen.push(c.id));
    await backing.getAll(mapStore());
    const settled: unknown[] = [];
    for (const id of ['0', '1']) a.update(machine(id, 1)).then((rev) => settled.push(rev), (err: unknown) => settled.push(err));
    for (let i = 0; i < 20 && settled.length < 2; i++) await tick();
    expect(settled).toEqual([1, 2]);
    expect(seen).toEqual(['0', '1']);
    expect(logger.at('error').map((r) => r.msg)).toEqual(['state peers publish failed', 'state peers publish failed']);
    const last = a.update(machine('2', 1));
    const heard: string[] = [];
    a.presenceStore().onRing((m) => heard.push(m));
    expect(() => a.presenceStore().ring(M)).not.toThrow(); // its caller rings after a write and has no catch
    await tick();
    expect(heard).toEqual([M]);
    await a.close(); // writes the accepted apply, whose publish throws too
    expect(await last).toBe(3);
  });

  it('peers are refused where they make no sense, and when malformed', async () => {
    setup();
    const [pa] = relayPair();
    const refused = async (url: string, peers: unknown) =>
      openState(url, { peers: peers as SqlitePeers }).then(async (s) => (await s.close(), 'opened'), (err: unknown) => (hasCode(err, 'NotValid') ? (err as Error).message : String(err)));
    expect(await refused('sqlite::memory:', pa)).toMatch(/peers not valid: only for a SQLite file/);
    expect(await refused('postgres://127.0.0.1:1/none', pa)).toMatch(/peers not valid: only for a SQLite file/);
    expect(await refused(`sqlite:${join(dir, 'x.db')}`, { publish: () => undefined })).toMatch(/peers not valid: must have publish\(\) and subscribe\(\)/);
  });
});
