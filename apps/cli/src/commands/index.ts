/** Every `bt` subcommand, in the order `bt --help` lists them. One file per command. */
import type { Command } from '../command.js';
import { createCommand } from './create.js';
import { infoCommand } from './info.js';
import { magnetCommand } from './magnet.js';

export const commands: Command[] = [infoCommand, createCommand, magnetCommand];
