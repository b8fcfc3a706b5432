// `get`, `ls`, `put` and `rm`: one model's entities through the REST endpoints.
import type { Command } from 'commander';
import type { EntityInfo } from '../../core/index.js';
import { ClientError } from '../../client/index.js';
import { compactDiff, flatten, renderValue } from '../output/compact-diff.js';
import { textTable } from '../output/text-table.js';
import type { CliIo } from './cli-io.js';
import { readAll } from './cli-io.js';
import { resolveModel, restClient } from './controller-context.js';
import { UsageError } from './usage-error.js';

const MODEL_OPTION = ['-m, --model <model>', 'model name or UUID (default: the model named "default")'] as const;

/** Parses `key=value` pairs: values are JSON when they parse (numbers, true, {"a":1}), else strings; `a.b=1` nests. */
export function parsePairs(pairs: readonly string[]): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`${JSON.stringify(pair)} not valid: use key=value`);
    const path = pair.slice(0, eq).split('.');
    if (path.some((p) => p === '')) throw new UsageError(`${JSON.stringify(pair)} not valid: empty key`);
    let target = data;
    for (const part of path.slice(0, -1)) {
      const next = target[part];
      if (next !== null && typeof next === 'object' && !Array.isArray(next)) target = next as Record<string, unknown>;
      else target = target[part] = {};
    }
    target[path[path.length - 1] ?? ''] = parseValue(pair.slice(eq + 1));
  }
  return data;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Renders one entity as `key: value` lines under a `kind id` header. */
export function entityText(e: EntityInfo): string {
  const lines = [`${e.kind} ${e.id}`];
  for (const [k, v] of flatten(e.data)) lines.push(`  ${k}: ${renderValue(v)}`);
  return `${lines.join('\n')}\n`;
}

export function registerEntityCommands(program: Command, io: CliIo): void {
  program
    .command('get')
    .description('show one entity')
    .argument('<kind>', 'entity kind, e.g. unit')
    .argument('<id>', 'entity id, e.g. mysql/0')
    .option(...MODEL_OPTION)
    .option('--json', 'print the entity as JSON')
    .addHelpText('after', '\nExamples:\n  $ modelwatch get unit mysql/0\n  $ modelwatch get machine 0 --model prod --json')
    .action(async (kind: string, id: string, opts: { model?: string; json?: boolean }) => {
      const rest = await restClient(io);
      const model = await resolveModel(rest, opts.model);
      const e = await rest.getEntity(model.uuid, kind, id);
      if (e === undefined) throw new ClientError('NotFound', `${kind} ${JSON.stringify(id)} not found in model ${model.name}`);
      io.stdout.write(opts.json === true ? `${JSON.stringify(e)}\n` : entityText(e));
    });

  program
    .command('ls')
    .description("list a model's entities, optionally of one kind")
    .argument('[kind]', 'only this kind')
    .option(...MODEL_OPTION)
    .option('--json', 'print one JSON entity per line (NDJSON)')
    .addHelpText('after', '\nExamples:\n  $ modelwatch ls\n  $ modelwatch ls unit --model prod')
    .action(async (kind: string | undefined, opts: { model?: string; json?: boolean }) => {
      const rest = await restClient(io);
      const model = await resolveModel(rest, opts.model);
      const rows: string[][] = [['Kind', 'Id', 'Fields']];
      let after: string | undefined;
      do {
        const page = await rest.listEntities(model.uuid, { ...(kind !== undefined ? { kind } : {}), ...(after !== undefined ? { after } : {}) });
        for (const e of page.entities) {
          if (e.kind === 'model' && kind === undefined) continue;
          if (opts.json === true) io.stdout.write(`${JSON.stringify(e)}\n`);
          else rows.push([e.kind, e.id, compactDiff(undefined, e.data)]);
        }
        after = page.next;
      } while (after !== undefined);
      if (opts.json !== true) io.stdout.write(rows.length > 1 ? textTable(rows) : 'no entities\n');
    });

  program
    .command('put')
    .description('create or replace an entity from key=value pairs, or from a JSON object on stdin')
    .argument('<kind>', 'entity kind')
    .argument('<id>', 'entity id')
    .argument('[pairs...]', 'key=value (values are JSON when they parse; a.b=1 nests)')
    .option(...MODEL_OPTION)
    .option('--merge', 'keep the fields not given (default: replace the whole entity)')
    .addHelpText('after', `
Examples:
  $ modelwatch put unit mysql/0 application=mysql machine-id=0 workload-status.current=active
  $ echo '{"application":"mysql","life":"alive"}' | modelwatch put unit mysql/1
  $ modelwatch put unit mysql/0 --merge life=dying`)
    .action(async (kind: string, id: string, pairs: string[], opts: { model?: string; merge?: boolean }) => {
      const data = pairs.length > 0 ? parsePairs(pairs) : await dataFromStdin(io);
      const rest = await restClient(io);
      const model = await resolveModel(rest, opts.model);
      const base = opts.merge === true ? ((await rest.getEntity(model.uuid, kind, id))?.data ?? {}) : {};
      const revision = await rest.putEntity(model.uuid, kind, id, { ...base, ...data });
      io.stdout.write(`${kind} ${id} written${revision === undefined ? '' : ` at revision ${revision}`}\n`);
    });

  program
    .command('rm')
    .description('remove entities (several in one transaction)')
    .argument('<kind>', 'entity kind')
    .argument('<ids...>', 'entity ids')
    .option(...MODEL_OPTION)
    .addHelpText('after', '\nExamples:\n  $ modelwatch rm unit mysql/0\n  $ modelwatch rm machine 3 4 5 --model prod')
    .action(async (kind: string, ids: string[], opts: { model?: string }) => {
      const rest = await restClient(io);
      const model = await resolveModel(rest, opts.model);
      const revision =
        ids.length === 1 && ids[0] !== undefined
          ? await rest.deleteEntity(model.uuid, kind, ids[0])
          : await rest.apply(model.uuid, ids.map((id) => ({ op: 'remove' as const, kind, id })));
      io.stdout.write(`removed ${ids.length} ${kind}${ids.length === 1 ? '' : 's'}${revision === undefined ? '' : ` at revision ${revision}`}\n`);
    });
}

async function dataFromStdin(io: CliIo): Promise<Record<string, unknown>> {
  if (io.stdin.isTTY === true) throw new UsageError('give key=value pairs, or a JSON object on stdin');
  const text = (await readAll(io.stdin)).trim();
  if (text === '') throw new UsageError('give key=value pairs, or a JSON object on stdin');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`stdin is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new UsageError('stdin must hold a JSON object (the entity data)');
  return json as Record<string, unknown>;
}
