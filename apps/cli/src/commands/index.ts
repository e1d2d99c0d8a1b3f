/** Every `bt` subcommand, in the order `bt --help` lists them. One file per command. */
import type { Command } from '../command.js';

export const commands: Command[] = [];
