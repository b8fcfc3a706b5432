import { performance } from 'node:perf_hooks';
import { nullLogger, SystemClock } from '../../core/index.js';
import { BenchBacking } from './bench-backing.js';
import { MultiwatcherWorker } from '../worker.js';
const M = Number(process.env.M ?? 1000); const W = Number(process.env.W ?? 10000); const MODE = process.env.MODE ?? 'loop';
const backing = new BenchBacking(M, 10);
const w = new MultiwatcherWorker({ clock: new SystemClock(), logger: nullLogger, backing });
for (let i = 0; i < W; i++) {
  const wt = w.watchModel(backing.models[i % M]!);
  if (MODE === 'loop') void (async () => { try { for (;;) { await wt.next(); } } catch {} })();
}
await new Promise((r) => setTimeout(r, 500));
for (let round = 0; round < 3; round++) {
  const t0 = performance.now(); const c0 = backing.changedCount;
  const N = Number(process.env.N ?? 20000);
  for (let i = 0; i < N; i++) backing.emit(Math.floor(Math.random() * M), Math.floor(Math.random() * 10));
  while (w.report()['queue-size'] !== 0) await new Promise((r) => setImmediate(r));
  console.log(MODE, 'M', M, 'W', W, 'us/change', ((performance.now() - t0) * 1000 / (backing.changedCount - c0)).toFixed(1), backing.changedCount - c0);
}
w.kill(); await w.wait().catch(() => 0); process.exit(0);
