// Child of state.bench.ts: a backing in another process; prints "<id> <epoch ms>" when a change of
// the probe model arrives, so the parent can measure commit → reader latency across processes.
import { openState } from '../open-state.js';

const [url, probeModel] = process.argv.slice(2);
if (url === undefined || probeModel === undefined) throw new Error('usage: pg-reader.bench <url> <probeModelUUID>');
const state = await openState(url);
const backing = state.allWatcherBacking();
let out = '';
backing.watch((c) => {
  if (c.modelUUID !== probeModel) return;
  out += `${c.id} ${performance.timeOrigin + performance.now()}\n`;
  if (out.length > 4096) flush();
});
function flush(): void {
  if (out !== '') process.stdout.write(out);
  out = '';
}
const flushTimer = setInterval(flush, 5);
await backing.getAll({ update() {}, remove() {}, get: () => undefined });
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
clearInterval(flushTimer);
flush();
await backing.release?.();
await state.close();
process.exit(0);
