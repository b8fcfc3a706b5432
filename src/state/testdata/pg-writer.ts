// Child process of the PostgreSQL hazard test: `loops` concurrent writers apply random transactions
// (1–20 ops, some removes, rare model removals) until the deadline, then print a JSON summary.
import { seededRandom } from '../../core/index.js';
import type { Random } from '../../core/index.js';
import { openState } from '../open-state.js';
import type { StateOp } from '../state.js';

const [url, durationArg, seedArg, loopsArg] = process.argv.slice(2);
if (url === undefined) throw new Error('usage: pg-writer <url> <durationMs> <seed> <loops>');
const deadline = Date.now() + Number(durationArg ?? 5_000);
const random: Random = seededRandom(Number(seedArg ?? 1));
const models = [1, 2, 3].map((n) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;

function randomTxn(): StateOp[] {
  const size = 1 + Math.floor(random() * (random() < 0.1 ? 60 : 20));
  const ops: StateOp[] = [];
  for (let i = 0; i < size; i++) {
    const modelUUID = pick(models);
    const r = random();
    if (r < 0.003) ops.push({ op: 'remove', id: { kind: 'model', modelUUID, id: modelUUID } });
    else if (r < 0.02) ops.push({ op: 'update', entity: { kind: 'model', modelUUID, id: modelUUID, data: { v: Math.floor(random() * 5) } } });
    else if (r < 0.15) ops.push({ op: 'remove', id: { kind: pick(['machine', 'unit']), modelUUID, id: String(Math.floor(random() * 60)) } });
    else ops.push({ op: 'update', entity: { kind: pick(['machine', 'unit']), modelUUID, id: String(Math.floor(random() * 60)), data: { v: Math.floor(random() * 4) } } });
  }
  return ops;
}

const state = await openState(url);
let txns = 0;
let lastRev = 0;
await Promise.all(
  Array.from({ length: Number(loopsArg ?? 2) }, async () => {
    while (Date.now() < deadline) {
      lastRev = Math.max(lastRev, await state.apply(randomTxn()));
      txns++;
    }
  }),
);
const retries = ((state as unknown as { report(): { driver: { 'write-retries': number } } }).report().driver)['write-retries'];
await state.close();
process.stdout.write(`${JSON.stringify({ txns, lastRev, retries })}\n`);
