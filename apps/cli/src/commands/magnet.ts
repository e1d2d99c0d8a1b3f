/** `bt magnet`: the magnet link of a .torrent file. Building it is @bt/metainfo's job. */
import { magnetFromMetainfo } from '@bt/metainfo';
import { type Command, ExitCode } from '../command.js';
import { readTorrent } from '../torrent-file.js';

export const magnetCommand: Command = {
  name: 'magnet',
  summary: 'print the magnet link of a .torrent file',
  usage: 'bt magnet <file.torrent>',
  help: `Prints one line: a magnet link with the info-hash (hex), the name (dn), the total
length (xl), every tracker (tr) and the web seeds (ws) of the torrent.

Examples:
  bt magnet ubuntu.iso.torrent
  bt info "$(bt magnet ubuntu.iso.torrent)"`,
  options: {},
  positionals: [1, 1],
  async run(context) {
    const metainfo = await readTorrent(context.positionals[0]!, context.cwd);
    context.stdout.write(`${magnetFromMetainfo(metainfo)}\n`);
    return ExitCode.ok;
  },
};
