#!/usr/bin/env node
// The `modelwatch` command. Until the controller exists, every command prints the help.
import { Command } from 'commander';

const program = new Command('modelwatch')
  .description('Watch the state of a model: entities and the liveness of their agents')
  .version('0.1.0');

program.parse(process.argv);
if (process.argv.length <= 2 || program.args.length > 0) program.help();
