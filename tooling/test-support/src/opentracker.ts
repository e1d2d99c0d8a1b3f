/**
 * opentracker (the Debian package: a tracker nobody here wrote) on loopback, for interop tests.
 * Debian builds it in whitelist mode, so it serves only the info-hashes listed in a file; as root
 * it chroots into its folder and drops to `nobody`, so the list lives inside, world-readable.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, freeUdpPort } from './ports.js';
import { type RunningProcess, startProcess, waitFor, waitForPort } from './processes.js';
import { makeTempDir } from './temp.js';

export interface StartOpentrackerOptions {
  /** The opentracker binary (from `requireProgram('opentracker')`). */
  program: string;
  /** Info-hashes it may serve: 20 bytes each, or 40 hex digits. At least one. */
  infoHashes: readonly (Uint8Array | string)[];
  /** TCP (HTTP) port; a free one by default. */
  port?: number;
  /** UDP port; a free one by default. */
  udpPort?: number;
}

export interface Opentracker {
  /** `http://127.0.0.1:<port>/announce` */
  httpUrl: string;
  /** `udp://127.0.0.1:<udpPort>/announce` */
  udpUrl: string;
  port: number;
  udpPort: number;
  process: RunningProcess;
}

const hex = (value: Uint8Array | string): string =>
  typeof value === 'string' ? value.toLowerCase() : Buffer.from(value).toString('hex');

/** Starts opentracker and resolves once its whitelist is in force. Stop it with `stopAllProcesses`. */
export async function startOpentracker(options: StartOpentrackerOptions): Promise<Opentracker> {
  const hashes = options.infoHashes.map(hex);
  if (hashes.length === 0) throw new Error('startOpentracker: list at least one info-hash');
  const dir = await makeTempDir('bt-opentracker-');
  await writeFile(join(dir, 'whitelist'), `${hashes.join('\n')}\n`);
  await chmod(dir, 0o755);
  await chmod(join(dir, 'whitelist'), 0o644);
  const port = options.port ?? (await freePort());
  const udpPort = options.udpPort ?? (await freeUdpPort());
  const asRoot = process.getuid?.() === 0;
  const tracker = startProcess(
    options.program,
    [
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      '-P',
      String(udpPort),
      '-d',
      dir,
      '-w',
      asRoot ? '/whitelist' : join(dir, 'whitelist'),
    ],
    { cwd: dir, label: 'opentracker' },
  );
  await waitForPort(port);
  const httpUrl = `http://127.0.0.1:${port}/announce`;
  // The whitelist is read by a thread shortly after start: wait until a listed hash is served.
  const escaped = hashes[0]!.replace(/../g, (pair) => `%${pair}`);
  const probe = `${httpUrl}?info_hash=${escaped}&peer_id=-PROBE-0000000000000&port=1&uploaded=0&downloaded=0&left=0&event=stopped`;
  await waitFor(
    async () => {
      try {
        const response = await fetch(probe);
        return !(await response.text()).includes('failure reason');
      } catch {
        return false;
      }
    },
    {
      intervalMs: 100,
      what: `opentracker to load its whitelist (output: ${tracker.output()})`,
    },
  );
  return {
    httpUrl,
    udpUrl: `udp://127.0.0.1:${udpPort}/announce`,
    port,
    udpPort,
    process: tracker,
  };
}
