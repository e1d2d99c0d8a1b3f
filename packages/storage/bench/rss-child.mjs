// Child of the storage bench: downloads <bytes> through the file storage into <folder> with
// the default 64 MiB piece cache and prints its peak RSS. Removes the data at the end.
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createFileStorage } from '../dist/index.js';
import { download, makeContent } from './content.mjs';

const [bytes, directory] = [Number(process.argv[2]), process.argv[3]];
const content = makeContent({ length: bytes, pieceLength: 4 * 1024 * 1024 });
const storage = await createFileStorage({ layout: content.layout, directory });
const started = performance.now();
await download(storage, content, { inFlight: 8 });
await storage.close();
const seconds = (performance.now() - started) / 1000;
rmSync(directory, { recursive: true, force: true });
process.stdout.write(
  JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024, seconds }),
);
