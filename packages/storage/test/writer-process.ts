/**
 * Child process of the kill-and-resume test: resumes a download through the file storage
 * (recheck first, then fetch what is missing, in a shuffled order, with a small cache so
 * partial pieces spill to disk unverified, and a liar sending a corrupt block now and then).
 * Prints `recheck <n>`, `complete <i>` once a piece was reported complete, `rejected <i>`
 * for a corrupt piece, and `done` at the end. The parent kills it with SIGKILL at random.
 *
 * argv: <layout.json> <source.bin> <directory> <seed> <delayMs>
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createFileStorage, type TorrentLayout } from '../src/index.js';

const [layoutPath, sourcePath, directory, seedText, delayText] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const json = JSON.parse(readFileSync(layoutPath, 'utf8')) as Omit<TorrentLayout, 'pieces'> & {
  pieces: string;
};
const layout: TorrentLayout = { ...json, pieces: new Uint8Array(Buffer.from(json.pieces, 'hex')) };
const source = new Uint8Array(readFileSync(sourcePath));
const delay = Number(delayText);
let state = Number(seedText) + 1;
const random = (limit: number): number => {
  state = (state * 1103515245 + 12345) % 2147483648;
  return state % limit;
};
// Synchronous on a pipe on Linux: a line is out before the next step, even under SIGKILL.
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const BLOCK = 4096;
const storage = await createFileStorage({
  layout,
  directory,
  cacheSize: layout.pieceLength * 4,
  checkpointInterval: 20,
  maxOpenFiles: 3,
});
const complete = await storage.recheck();
say(`recheck ${complete.count}`);
const missing = complete.missing();
for (let i = missing.length - 1; i > 0; i--) {
  const j = random(i + 1);
  [missing[i], missing[j]] = [missing[j]!, missing[i]!];
}
// Several pieces in flight at once, their blocks interleaved, as from several peers.
const inFlight = 4;
const running = new Set<Promise<void>>();
for (const index of missing) {
  const task = (async () => {
    const start = index * layout.pieceLength;
    const end = Math.min(layout.length, start + layout.pieceLength);
    const liar = random(5) === 0;
    if (liar) {
      const bad = source.slice(start, Math.min(end, start + BLOCK));
      bad[0] = (bad[0] as number) ^ 0x5a;
      await storage.writeBlock(index, 0, bad);
      for (let offset = BLOCK; start + offset < end; offset += BLOCK) {
        await storage.writeBlock(
          index,
          offset,
          source.subarray(start + offset, Math.min(end, start + offset + BLOCK)),
        );
      }
      if ((await storage.verifyPiece(index)).ok) throw new Error(`corrupt piece ${index} verified`);
      say(end - start <= BLOCK ? `rejected ${index} liar` : `rejected ${index}`);
    }
    for (let offset = 0; start + offset < end; offset += BLOCK) {
      await storage.writeBlock(
        index,
        offset,
        source.subarray(start + offset, Math.min(end, start + offset + BLOCK)),
      );
      if (delay > 0) await sleep(random(delay));
    }
    if (!(await storage.verifyPiece(index)).ok) throw new Error(`good piece ${index} failed`);
    say(`complete ${index}`);
  })();
  running.add(task);
  void task.finally(() => running.delete(task));
  if (running.size >= inFlight) await Promise.race(running);
}
await Promise.all(running);
await storage.close();
say('done');
