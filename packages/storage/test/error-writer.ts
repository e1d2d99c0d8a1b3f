/**
 * Child process of the disk-error tests: downloads every piece through the file storage and
 * prints `complete <i>` or `error <i> <code> <systemCode>` per piece, then `recheck <i,...>`
 * and `exit-ok`. It must never crash, whatever the disk does.
 *
 * argv: <layout.json> <source.bin> <directory>
 */
import { readFileSync } from 'node:fs';
import { createFileStorage, StorageError, type TorrentLayout } from '../src/index.js';

const [layoutPath, sourcePath, directory] = process.argv.slice(2) as [string, string, string];
const json = JSON.parse(readFileSync(layoutPath, 'utf8')) as Omit<TorrentLayout, 'pieces'> & {
  pieces: string;
};
const layout: TorrentLayout = { ...json, pieces: new Uint8Array(Buffer.from(json.pieces, 'hex')) };
const source = new Uint8Array(readFileSync(sourcePath));
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const storage = await createFileStorage({ layout, directory, checkpointInterval: 0 });
const count = storage.pieceCount;
for (let index = 0; index < count; index++) {
  const start = index * layout.pieceLength;
  const end = Math.min(layout.length, start + layout.pieceLength);
  try {
    await storage.writeBlock(index, 0, source.subarray(start, end));
    const verdict = await storage.verifyPiece(index);
    say(verdict.ok ? `complete ${index}` : `failed ${index}`);
  } catch (error) {
    if (!StorageError.isInstance(error)) throw error;
    say(`error ${index} ${error.code} ${error.systemCode ?? '-'}`);
  }
}
await storage
  .flush()
  .catch((error: unknown) =>
    say(`flush-error ${StorageError.isInstance(error) ? error.code : 'untyped'}`),
  );
say(`recheck ${(await storage.recheck()).indices().join(',')}`);
await storage.close().catch(() => undefined);
say('exit-ok');
