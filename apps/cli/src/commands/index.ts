/** Every `bt` subcommand, in the order `bt --help` lists them. One file per command. */
import type { Command } from '../command.js';
import { createCommand } from './create.js';
import { infoCommand } from './info.js';
import { magnetCommand } from './magnet.js';
import { announceCommand } from './announce.js';
import { scrapeCommand } from './scrape.js';
import { trackerCommand } from './tracker.js';
import { peerCommand } from './peer.js';
import { verifyCommand } from './verify.js';
import { downloadCommand } from './download.js';
import { seedCommand } from './seed.js';
import { streamCommand } from './stream.js';
import { demoCommand } from './demo.js';
import { dhtCommand } from './dht.js';

export const commands: Command[] = [
  downloadCommand,
  seedCommand,
  streamCommand,
  verifyCommand,
  infoCommand,
  createCommand,
  magnetCommand,
  announceCommand,
  scrapeCommand,
  trackerCommand,
  peerCommand,
  dhtCommand,
  demoCommand,
];
