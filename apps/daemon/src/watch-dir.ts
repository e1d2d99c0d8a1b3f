/**
 * The watch folder: `.torrent` files dropped in it are added and renamed `<name>.added`, as
 * Transmission does. The folder is scanned when it changes (fs.watch) and every few seconds
 * (network file systems do not report changes); a file that fails is reported once and left.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, rename, stat } from 'node:fs/promises';
import { listTorrentFiles } from '@bt/transmission-rpc/node';

export interface WatchDirOptions {
  folder: string;
  add(bytes: Uint8Array, file: string): Promise<void>;
  onError(file: string, error: unknown): void;
  intervalMs?: number;
}

export class WatchDir {
  private readonly options: WatchDirOptions;
  private watcher: FSWatcher | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  private readonly failed = new Map<string, number>();

  constructor(options: WatchDirOptions) {
    this.options = options;
  }

  start(): void {
    try {
      this.watcher = watch(this.options.folder, () => void this.scan());
      this.watcher.on('error', () => undefined);
    } catch {
      // polling only
    }
    this.timer = setInterval(() => void this.scan(), this.options.intervalMs ?? 3000);
    this.timer.unref?.();
    void this.scan();
  }

  /** Scans now (coalesced); resolves when the scan is done. */
  scan(): Promise<void> {
    if (this.scanning) {
      this.rescan = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.rescan = false;
        for (const file of await listTorrentFiles(this.options.folder)) await this.take(file);
      } while (this.rescan);
    })().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async take(file: string): Promise<void> {
    try {
      const info = await stat(file);
      if (this.failed.get(file) === info.mtimeMs) return;
      const bytes = await readFile(file);
      try {
        await this.options.add(bytes, file);
        await rename(file, `${file}.added`);
        this.failed.delete(file);
      } catch (error) {
        this.failed.set(file, info.mtimeMs);
        this.options.onError(file, error);
      }
    } catch {
      // gone meanwhile
    }
  }

  async close(): Promise<void> {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    await this.scanning;
  }
}
