// `models add/ls/rm`, `user add/passwd/grant/revoke/rm/ls`, `login` and `logout`: controller
// management through the REST endpoints.
import type { Command } from 'commander';
import { RestClient, parseEndpoint } from '../../client/index.js';
import { textTable } from '../output/text-table.js';
import type { CliIo } from './cli-io.js';
import { controllerUrl, resolveModel, restClient } from './controller-context.js';
import { credentialsPath, removeLogin, saveLogin } from './credentials-file.js';
import { readSecret } from './secret-input.js';
import { UsageError } from './usage-error.js';

const ACCESS = ['read', 'write', 'admin'] as const;
type Access = (typeof ACCESS)[number];

function isAccess(v: string): v is Access {
  return (ACCESS as readonly string[]).includes(v);
}

/** Prints a listing: JSON under --json, else a table of `header` and one `row` per item. */
function writeList<T>(io: CliIo, json: boolean | undefined, list: readonly T[], header: string[], row: (item: T) => string[]): void {
  if (json === true) io.stdout.write(`${JSON.stringify(list)}\n`);
  else io.stdout.write(textTable([header, ...list.map(row)]));
}

export function registerModels(program: Command, io: CliIo): void {
  const models = program.command('models').description('list, add and remove models');
  models
    .command('ls')
    .description('list the models you can see')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await (await restClient(io)).listModels();
      writeList(io, opts.json, list, ['Name', 'UUID', 'Owner', 'Access'], (m) => [
        m.name, m.uuid, typeof m.owner === 'string' ? m.owner : '-', typeof m.access === 'string' ? m.access : '-',
      ]);
    });
  models
    .command('add')
    .description('create a model (you get admin on it)')
    .argument('<name>', 'lower-case letters, digits and hyphens')
    .addHelpText('after', '\nExamples:\n  $ modelwatch models add prod')
    .action(async (name: string) => {
      const m = await (await restClient(io)).addModel(name);
      io.stdout.write(`model ${m.name} added: ${m.uuid}\n`);
    });
  models
    .command('rm')
    .description('remove a model with all its entities')
    .argument('<model>', 'model name or UUID')
    .action(async (nameOrUUID: string) => {
      const rest = await restClient(io);
      const m = await resolveModel(rest, nameOrUUID);
      await rest.removeModel(m.uuid);
      io.stdout.write(`model ${m.name} removed\n`);
    });
  models.addHelpText('after', '\nExamples:\n  $ modelwatch models ls\n  $ modelwatch models add prod\n  $ modelwatch models rm prod');
}

export function registerUsers(program: Command, io: CliIo): void {
  const user = program.command('user').description('manage users and their model access (superusers)');
  user
    .command('add')
    .description('add a user; the password is read from MODELWATCH_NEW_PASSWORD, a prompt or stdin')
    .argument('<name>', 'user name')
    .option('--display-name <text>', 'full name')
    .option('--superuser', 'grant controller superuser (all models, user management)')
    .action(async (name: string, opts: { displayName?: string; superuser?: boolean }) => {
      const password = await readSecret(io, `password for ${name}: `, 'MODELWATCH_NEW_PASSWORD');
      await (await restClient(io)).addUser({
        name, password, ...(opts.displayName !== undefined ? { displayName: opts.displayName } : {}), controllerAccess: opts.superuser === true ? 'superuser' : 'login',
      });
      io.stdout.write(`user ${name} added\n`);
    });
  user
    .command('passwd')
    .description("change a user's password (revokes their tokens)")
    .argument('<name>', 'user name')
    .action(async (name: string) => {
      const password = await readSecret(io, `new password for ${name}: `, 'MODELWATCH_NEW_PASSWORD');
      await (await restClient(io)).setPassword(name, password);
      io.stdout.write(`password of ${name} changed\n`);
    });
  user
    .command('grant')
    .description('give a user read, write or admin access to a model')
    .argument('<name>', 'user name')
    .argument('<model>', 'model name or UUID')
    .argument('<access>', 'read, write or admin')
    .action(async (name: string, model: string, access: string) => {
      if (!isAccess(access)) throw new UsageError(`access ${JSON.stringify(access)} not valid: use read, write or admin`);
      const rest = await restClient(io);
      const m = await resolveModel(rest, model);
      await rest.grant(name, m.uuid, access);
      io.stdout.write(`${name} has ${access} access to ${m.name}\n`);
    });
  user
    .command('revoke')
    .description("remove a user's access to a model")
    .argument('<name>', 'user name')
    .argument('<model>', 'model name or UUID')
    .action(async (name: string, model: string) => {
      const rest = await restClient(io);
      const m = await resolveModel(rest, model);
      await rest.revoke(name, m.uuid);
      io.stdout.write(`${name} has no access to ${m.name}\n`);
    });
  user
    .command('rm')
    .description('remove a user')
    .argument('<name>', 'user name')
    .action(async (name: string) => {
      await (await restClient(io)).removeUser(name);
      io.stdout.write(`user ${name} removed\n`);
    });
  user
    .command('ls')
    .description('list users')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const users = await (await restClient(io)).listUsers();
      writeList(io, opts.json, users, ['Name', 'Display name', 'Access', 'Models'], (u) => [
        u.name, u.displayName === undefined || u.displayName === '' ? '-' : u.displayName, u.controllerAccess ?? '-', String(u.models?.length ?? 0),
      ]);
    });
  user.addHelpText('after', `
Examples:
  $ modelwatch user add alice --display-name "Alice Liddell"
  $ echo "$PW" | modelwatch user passwd alice
  $ modelwatch user grant alice prod write
  $ modelwatch user revoke alice prod
  $ modelwatch user ls`);
}

export function registerLogin(program: Command, io: CliIo): void {
  program
    .command('login')
    .description('log in and save a token (not the password) for later commands')
    .option('-u, --user <name>', 'user name (default: MODELWATCH_USER, else admin)')
    .addHelpText('after', `
The token is saved in $MODELWATCH_HOME/credentials.json (default ~/.config/modelwatch/credentials.json),
mode 0600. MODELWATCH_USER and MODELWATCH_PASSWORD, when set, take precedence over it.

Examples:
  $ modelwatch login --user admin
  $ MODELWATCH_URL=https://ctl.example:17070 modelwatch login`)
    .action(async (opts: { user?: string }) => {
      const url = controllerUrl(io);
      const user = opts.user ?? (io.env.MODELWATCH_USER !== undefined && io.env.MODELWATCH_USER !== '' ? io.env.MODELWATCH_USER : 'admin');
      const password = await readSecret(io, `password for ${user}: `, 'MODELWATCH_PASSWORD');
      const token = await new RestClient({ baseUrl: parseEndpoint(url).http, credentials: { user, password } }).login();
      const path = credentialsPath(io.env);
      await saveLogin(path, { url, user, token });
      io.stdout.write(`logged in to ${url} as ${user} (token saved in ${path})\n`);
    });
  program
    .command('logout')
    .description('forget the saved login')
    .action(async () => {
      const removed = await removeLogin(credentialsPath(io.env));
      io.stdout.write(removed ? 'logged out\n' : 'not logged in\n');
    });
}
