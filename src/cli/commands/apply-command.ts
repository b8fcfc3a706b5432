// `modelwatch apply -f ops.json`: a list of updates and removals sent in chunks, one transaction
// per chunk, with a progress bar on a terminal.
import { readFile } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { z } from 'zod';
import type { ApplyOp } from '../../client/index.js';
import { ClientError } from '../../client/index.js';
import type { CliIo } from './cli-io.js';
import { readAll } from './cli-io.js';
import { resolveModel, restClient } from './controller-context.js';
import { UsageError } from './usage-error.js';

/** Ops per request (and transaction): well under the server's 10,000, small enough to show progress. */
export const DEFAULT_CHUNK = 1000;
const MAX_CHUNK = 10_000;

const opSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('update'), entity: z.object({ kind: z.string().min(1), id: z.string().min(1), data: z.record(z.string(), z.unknown()) }) }),
  z.object({ op: z.literal('remove'), kind: z.string().min(1), id: z.string().min(1) }),
]);
const listSchema = z.array(opSchema);
const wrappedSchema = z.object({ ops: listSchema });

/** Parses an ops file: `[op…]` or `{"ops": [op…]}`. @throws UsageError naming the first bad op. */
export function parseOps(text: string): ApplyOp[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`ops file is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const r = Array.isArray(json) ? listSchema.safeParse(json) : wrappedSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue?.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') ?? '';
    throw new UsageError(`ops file not valid at ${where === '' ? 'top level' : where}: ${issue?.message ?? 'bad shape'} (want [{"op":"update","entity":{kind,id,data}} | {"op":"remove",kind,id}])`);
  }
  return Array.isArray(r.data) ? r.data : r.data.ops;
}

export function registerApply(program: Command, io: CliIo): void {
  program
    .command('apply')
    .description('apply a list of updates and removals from a JSON file')
    .requiredOption('-f, --file <path>', 'ops file ("-" for stdin)')
    .option('-m, --model <model>', 'model name or UUID (default: the model named "default")')
    .option('--chunk-size <n>', `ops per transaction (1 to ${MAX_CHUNK})`, String(DEFAULT_CHUNK))
    .addHelpText('after', `
The file holds [{"op":"update","entity":{"kind":"unit","id":"a/0","data":{...}}}, {"op":"remove","kind":"unit","id":"a/1"}]
(or {"ops": [...]}). Each chunk is one transaction; a list no longer than one chunk is all or nothing.

Examples:
  $ modelwatch apply -f ops.json
  $ generate-ops | modelwatch apply -f - --model prod --chunk-size 5000`)
    .action(async (opts: { file: string; model?: string; chunkSize: string }) => {
      const chunk = Number(opts.chunkSize);
      if (!Number.isInteger(chunk) || chunk < 1 || chunk > MAX_CHUNK) throw new UsageError(`--chunk-size ${JSON.stringify(opts.chunkSize)} not valid: use 1 to ${MAX_CHUNK}`);
      const text = opts.file === '-' ? await readAll(io.stdin) : await readText(opts.file);
      const ops = parseOps(text);
      if (ops.length === 0) throw new UsageError('ops file holds no ops');
      const rest = await restClient(io);
      const model = await resolveModel(rest, opts.model);
      const bar = io.stderr.isTTY === true && ops.length > chunk ? new SingleBar({ stream: io.stderr as NodeJS.WritableStream, format: 'applying [{bar}] {value}/{total} ops', hideCursor: true }) : undefined;
      bar?.start(ops.length, 0);
      let revision = 0;
      let done = 0;
      try {
        while (done < ops.length) {
          const part = ops.slice(done, done + chunk);
          try {
            revision = await rest.apply(model.uuid, part);
          } catch (err) {
            if (!(err instanceof ClientError) || done === 0) throw err;
            throw new ClientError(err.code, `${err.message} (ops ${done}–${done + part.length - 1}; the ${done} ops before were applied)`, err.serverCode);
          }
          done += part.length;
          bar?.update(done);
        }
      } finally {
        bar?.stop();
      }
      const txns = Math.ceil(ops.length / chunk);
      io.stdout.write(`applied ${ops.length} ops in ${txns} transaction${txns === 1 ? '' : 's'}; revision ${revision}\n`);
    });
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
