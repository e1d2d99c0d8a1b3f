/**
 * Torrents made by mktorrent (the Debian package), so that interop tests start from a file that a
 * tool nobody here wrote produced.
 */
import { startProcess } from './processes.js';

export interface MktorrentOptions {
  /** The mktorrent binary (from `requireProgram('mktorrent')`). */
  program: string;
  /** The file or folder to describe. */
  source: string;
  /** Where to write the .torrent. */
  output: string;
  /**
   * Announce URL, or one URL per tier. Default `http://127.0.0.1:9/announce` (nothing listens
   * there).
   */
  announce?: string | readonly string[];
  /** Piece length as a power of two (15 = 32 KiB). Default 15. */
  pieceLengthExponent?: number;
  /** BEP 19 web seeds (`-w`, the torrent's `url-list`). */
  webSeeds?: readonly string[];
  /** BEP 27: set `private=1` (`-p`). */
  private?: boolean;
}

/** Runs mktorrent; rejects with its output when it fails. */
export async function runMktorrent(options: MktorrentOptions): Promise<void> {
  const announce = options.announce ?? 'http://127.0.0.1:9/announce';
  const made = startProcess(options.program, [
    ...(typeof announce === 'string' ? [announce] : announce).flatMap((url) => ['-a', url]),
    '-l',
    String(options.pieceLengthExponent ?? 15),
    ...(options.webSeeds ?? []).flatMap((url) => ['-w', url]),
    ...(options.private ? ['-p'] : []),
    '-o',
    options.output,
    options.source,
  ]);
  const code = await made.exited;
  if (code !== 0) throw new Error(`mktorrent exited with ${code}: ${made.output()}`);
}
