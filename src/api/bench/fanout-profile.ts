// A focused profile of the controller's delivery path (not a benchmark of record): N controller-wide
// watchers on real sockets in this process (the test harness controller), one change, the time until
// every watcher has its Next answer. Run under the profiler:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx src/api/bench/fanout-profile.ts [N] [trials]
import { Harness, RawClient, pw } from '../rpc/testdata/harness.js';

const N = Number(process.argv[2] ?? 2000);
const TRIALS = Number(process.argv[3] ?? 5);

const h = await Harness.start({ maxRequestsInFlight: 64 });
const rev = await h.state.update({ kind: 'machine', modelUUID: '11111111-1111-4111-8111-111111111111', id: 'marker', data: { t: 0 } });
const clients: Array<{ c: RawClient; wid: string }> = [];
for (let i = 0; i < N; i += 100) {
  const batch = await Promise.all(Array.from({ length: Math.min(100, N - i) }, async () => {
    const c = await RawClient.open(`${h.url}/api`);
    await c.login('user-admin', pw('admin'));
    const wid = (await c.call('Controller', 'WatchAllModels', { version: 11, params: { 'since-revision': rev } })).response!['watcher-id'] as string;
    await c.call('AllModelWatcher', 'Next', { version: 4, id: wid }); // the (empty) resumed first batch
    return { c, wid };
  }));
  clients.push(...batch);
}
const t0 = performance.now();
console.log(`${N} controller-wide watchers ready`);
for (let trial = 1; trial <= TRIALS; trial++) {
  const lat: number[] = [];
  const pending = clients.map(({ c, wid }) => c.call('AllModelWatcher', 'Next', { version: 4, id: wid }).then(() => lat.push(performance.now() - start)));
  await new Promise((r) => setTimeout(r, 200)); // every Next is parked
  const start = performance.now();
  await h.state.update({ kind: 'machine', modelUUID: '11111111-1111-4111-8111-111111111111', id: 'marker', data: { t: trial } });
  await Promise.all(pending);
  lat.sort((a, b) => a - b);
  console.log(`trial ${trial}: p50 ${lat[Math.floor(N / 2)]!.toFixed(1)} ms, max ${lat[N - 1]!.toFixed(1)} ms`);
}
console.log(`trials took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
for (const { c } of clients) c.close();
await h.stop();
