// Child of state.bench.ts: one PostgreSQL writer process running `loops` concurrent loops of
// single-change transactions until the deadline; prints {txns, p50Ms, p99Ms, cpuS, batches, barriers} as JSON.
import { openState } from '../open-state.js';

const [url, durationArg, loopsArg, indexArg] = process.argv.slice(2);
if (url === undefined) throw new Error('usage: pg-writer.bench <url> <durationMs> <loops> <index>');
const M = '00000000-0000-4000-8000-0000000000b0';
const state = await openState(url);
const latencies: number[] = [];
let txns = 0;
// Start together: the parent releases every writer with one line on stdin.
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
const cpu0 = process.cpuUsage();
const deadline = performance.now() + Number(durationArg);
await Promise.all(
  Array.from({ length: Number(loopsArg) }, async (_, loop) => {
    for (let n = 0; performance.now() < deadline; n++) {
      const t0 = performance.now();
      await state.update({ kind: 'machine', modelUUID: M, id: `w${indexArg}-${loop}-${n % 500}`, data: { n, series: 'jammy' } });
      latencies.push(performance.now() - t0);
      txns++;
    }
  }),
);
const cpu = process.cpuUsage(cpu0);
const driver = (state as unknown as { report(): { driver: Record<string, number> } }).report().driver;
await state.close();
latencies.sort((a, b) => a - b);
const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
process.stdout.write(`${JSON.stringify({ txns, p50Ms: pct(50), p99Ms: pct(99), cpuS: (cpu.user + cpu.system) / 1e6, sysS: cpu.system / 1e6, batches: driver.batches, barriers: driver.barriers })}\n`);
process.exit(0);
