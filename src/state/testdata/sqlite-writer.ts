// Child process for the SIGKILL durability test: writes forever and prints "<i> <rev>" after each
// apply resolves (stdout to a pipe is synchronous on Linux, so a printed line was acknowledged).
import { openState } from '../open-state.js';

const [url] = process.argv.slice(2);
if (url === undefined) throw new Error('usage: sqlite-writer <url>');
const M = '00000000-0000-4000-8000-000000000001';
const state = await openState(url);
for (let i = 0; ; i++) {
  const rev = await state.apply([
    { op: 'update', entity: { kind: 'machine', modelUUID: M, id: `m-${i}`, data: { i, pad: 'x'.repeat(i % 200) } } },
    { op: 'update', entity: { kind: 'model', modelUUID: M, id: M, data: { last: i } } },
  ]);
  process.stdout.write(`${i} ${rev}\n`);
}
