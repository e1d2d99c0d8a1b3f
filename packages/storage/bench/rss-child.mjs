// Child of the storage bench: downloads <bytes> through the file storage into <folder> with
// the default 64 MiB piece cache (4 MiB pieces, 8 in flight) and prints its peak RSS.
// Removes the data at the end.
import { readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createFileStorage } from '../dist/index.js';
import { download, makeContent } from './content.mjs';

// VmHWM is the peak RSS of this process image. getrusage's maxRSS is not: Linux carries the
// parent's RSS over fork and exec into it, so it would measure the bench process instead.
function peakRss() {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

const [bytes, directory] = [Number(process.argv[2]), process.argv[3]];
const content = makeContent({ length: bytes, pieceLength: 4 * 1024 * 1024 });
const storage = await createFileStorage({ layout: content.layout, directory });
const started = performance.now();
await download(storage, content, { inFlight: 8 });
await storage.close();
const seconds = (performance.now() - started) / 1000;
rmSync(directory, { recursive: true, force: true });
process.stdout.write(JSON.stringify({ maxRssBytes: peakRss(), seconds }));
