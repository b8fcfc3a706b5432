// `modelwatch status`: a model's machines, applications, units (with their agents' presence) and
// relations as tables; `--watch` keeps them on screen, redrawing on every change.
import type { Command } from 'commander';
import { entityKey } from '../../core/index.js';
import type { EntityInfo } from '../../core/index.js';
import type { Client, PresenceChange, Watcher } from '../../client/index.js';
import { agentTags, renderStatus } from '../output/status-view.js';
import type { CliIo } from './cli-io.js';
import { cliLogger } from './cli-logger.js';
import { controllerUrl, resolveModel, restClient, rpcClient } from './controller-context.js';
import { connectionNotices } from './watch-command.js';

/** Most agents whose presence one status watches (the Presence facade's limit per watcher). */
const MAX_AGENTS = 1000;
/** Clears a terminal and homes the cursor, for redraws. */
const CLEAR_SCREEN = '\x1b[H\x1b[2J';

/** The live state status shows. */
class StatusModel {
  readonly entities = new Map<string, EntityInfo>();
  readonly presence = new Map<string, boolean>();
  revision = 0;
}

export function registerStatus(program: Command, io: CliIo, debug: () => boolean): void {
  program
    .command('status')
    .description("show a model's machines, applications, units (with agent presence) and relations")
    .option('-m, --model <model>', 'model name or UUID (default: the model named "default")')
    .option('-w, --watch', 'keep the view on screen and redraw it on every change')
    .addHelpText('after', `
Agent is "alive" while the agent is connected, "lost" once it has gone, "-" when unknown.

Examples:
  $ modelwatch status
  $ modelwatch status --model prod --watch`)
    .action(async (opts: { model?: string; watch?: boolean }) => {
      const logger = cliLogger(io.stderr, debug());
      const model = await resolveModel(await restClient(io), opts.model);
      const client = await rpcClient(io, logger, connectionNotices(io, debug()), { longRunning: opts.watch === true });
      const state = new StatusModel();
      const draw = (): string =>
        renderStatus({ modelName: model.name, controller: controllerUrl(io), revision: state.revision, entities: [...state.entities.values()], presence: state.presence });
      try {
        const watcher = client.watchModel(model.uuid);
        applyBatch(state, await watcher.next());
        let presence = await watchPresence(client, model.uuid, state);
        if (opts.watch !== true) {
          await watcher.stop();
          await presence?.stop();
          io.stdout.write(draw());
          return;
        }
        const tty = io.stdout.isTTY === true;
        const redraw = (): void => void io.stdout.write(tty ? CLEAR_SCREEN + draw() : `${draw()}\n`);
        redraw();
        const stopping = { now: false };
        void io.interrupted().then(async () => {
          stopping.now = true;
          await presence?.stop();
          await watcher.stop();
        });
        const followPresence = (w: Watcher<PresenceChange[]> | undefined): void => {
          if (w === undefined) return;
          void (async () => {
            try {
              for await (const changes of w) {
                for (const c of changes) state.presence.set(c.key, c.alive);
                redraw();
              }
            } catch (err) {
              logger.warn(`presence not shown: ${err instanceof Error ? err.message : String(err)}`);
            }
          })();
        };
        followPresence(presence);
        for await (const batch of watcher) {
          const keysBefore = agentTags([...state.entities.values()]).join(',');
          applyBatch(state, batch);
          if (!stopping.now && agentTags([...state.entities.values()]).join(',') !== keysBefore) {
            await presence?.stop();
            presence = await watchPresence(client, model.uuid, state);
            followPresence(presence);
          }
          redraw();
        }
      } finally {
        client.close();
      }
    });
}

function applyBatch(state: StatusModel, batch: { deltas: readonly { removed: boolean; entity: EntityInfo }[]; revision: number; reset: boolean }): void {
  if (batch.reset) state.entities.clear();
  for (const d of batch.deltas) {
    if (d.removed) state.entities.delete(entityKey(d.entity));
    else state.entities.set(entityKey(d.entity), d.entity);
  }
  state.revision = batch.revision;
}

/** Starts a presence watcher for the model's agents and takes its first batch (all keys' state). */
async function watchPresence(client: Client, modelUUID: string, state: StatusModel): Promise<Watcher<PresenceChange[]> | undefined> {
  const keys = agentTags([...state.entities.values()]).slice(0, MAX_AGENTS);
  if (keys.length === 0) return undefined;
  const w = client.watchPresence(modelUUID, keys);
  try {
    for (const c of await w.next()) state.presence.set(c.key, c.alive);
    return w;
  } catch {
    // Presence is extra information: a controller without it still shows the model.
    await w.stop();
    return undefined;
  }
}
