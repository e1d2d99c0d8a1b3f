/**
 * Real client: aria2c downloads a multi-file torrent from an aria2c seeder through a local
 * opentracker; our recheck of its data must find every piece. Then the data is damaged (a
 * flipped byte, a truncated file, a deleted file) and our recheck must agree piece by piece
 * with aria2c's own verdict (`check-integrity` + `hash-check-only`, bitfield read over RPC).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTorrent } from '@bt/metainfo';
import {
  PATIENCE_MS,
  freePort,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  runMktorrent,
  startOpentracker,
  startProcess,
  stopAllProcesses,
  waitFor,
  waitForExit,
  waitForPort,
} from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileStorage } from '../src/index.js';

function toHexBits(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

const aria2c = requireProgram('aria2c', 'aria2');
const opentracker = requireProgram('opentracker');
const mktorrent = requireProgram('mktorrent');

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

const quiet = [
  '--enable-dht=false',
  '--bt-enable-lpd=false',
  '--enable-peer-exchange=false',
  '--disable-ipv6=true',
];

async function rpc(port: number, method: string, params: unknown[]): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${port}/jsonrpc`, {
    method: 'POST',
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: unknown };
  if (body.error !== undefined)
    throw new Error(`aria2 rpc ${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

/** aria2c's own verdict on the data in `directory`: the bitfield (hex) after a full hash check. */
async function aria2Verdict(torrentFile: string, directory: string): Promise<string> {
  const rpcPort = await freePort();
  const listenPort = await freePort();
  const daemon = startProcess(aria2c as string, [
    '--enable-rpc',
    `--rpc-listen-port=${rpcPort}`,
    `--listen-port=${listenPort}`,
    ...quiet,
  ]);
  try {
    await waitForPort(rpcPort);
    const torrent = (await readFile(torrentFile)).toString('base64');
    const gid = await rpc(rpcPort, 'aria2.addTorrent', [
      torrent,
      [],
      {
        dir: directory,
        'check-integrity': 'true',
        'hash-check-only': 'true',
        'bt-exclude-tracker': '*',
      },
    ]);
    const status = await waitFor(
      async () => {
        let result: { status: string; bitfield?: string };
        try {
          result = (await rpc(rpcPort, 'aria2.tellStatus', [gid, ['status', 'bitfield']])) as {
            status: string;
            bitfield?: string;
          };
        } catch (error) {
          // a connection refused or cut is worth another poll while aria2c lives
          if (daemon.child.exitCode !== null || !String(error).includes('fetch failed'))
            throw error;
          return undefined;
        }
        return result.status === 'active' || result.status === 'waiting' ? undefined : result;
      },
      { timeoutMs: PATIENCE_MS, what: 'aria2c hash check' },
    );
    return status.bitfield ?? '';
  } finally {
    await daemon.stop();
  }
}

describe.skipIf(!aria2c || !opentracker || !mktorrent)('recheck agrees with aria2c', () => {
  it('on data aria2c downloaded, then damaged', async () => {
    const work = await makeTempDir('bt-aria2-');
    const content = join(work, 'seed', 'album');
    await mkdir(join(content, 'disc', 'two'), { recursive: true });
    await writeFile(join(content, 'a.bin'), randomBytes(1_500_000));
    await writeFile(join(content, 'disc', 'b.bin'), randomBytes(700_001));
    await writeFile(join(content, 'disc', 'two', 'c.bin'), randomBytes(400_000));
    await writeFile(join(content, 'empty'), '');
    const trackerPort = await freePort();
    const torrentFile = join(work, 'album.torrent');
    await runMktorrent({
      program: mktorrent as string,
      source: content,
      output: torrentFile,
      announce: `http://127.0.0.1:${trackerPort}/announce`,
    });
    const metainfo = parseTorrent(new Uint8Array(await readFile(torrentFile)));
    const { process: tracker } = await startOpentracker({
      program: opentracker as string,
      infoHashes: [metainfo.infoHashHex],
      port: trackerPort,
    });
    const seeder = startProcess(aria2c as string, [
      `--dir=${join(work, 'seed')}`,
      '--seed-ratio=0.0',
      '--check-integrity=true',
      `--listen-port=${await freePort()}`,
      ...quiet,
      torrentFile,
    ]);
    // The leecher starts once the tracker knows the seeder (its first announce gives it a peer).
    const infoHash = [...metainfo.infoHash]
      .map((byte) => `%${byte.toString(16).padStart(2, '0')}`)
      .join('');
    await waitFor(
      async () => {
        try {
          const response = await fetch(
            `http://127.0.0.1:${trackerPort}/scrape?info_hash=${infoHash}`,
          );
          return Buffer.from(await response.arrayBuffer()).includes('8:completei1e');
        } catch (error) {
          // opentracker closes each connection after its answer, and a poll can meet the
          // pooled socket it just closed: ask again, unless the tracker is gone
          if (tracker.child.exitCode !== null) throw error;
          return false;
        }
      },
      { timeoutMs: PATIENCE_MS, what: 'the seeder to announce' },
    ).catch((error: unknown) => {
      throw new Error(
        `${String(error)}\nseeder: ${seeder.output().slice(-2000)}\ntracker: ${tracker.output().slice(-1000)}`,
      );
    });
    const downloads = join(work, 'leech');
    const leecher = startProcess(aria2c as string, [
      `--dir=${downloads}`,
      '--seed-time=0',
      `--listen-port=${await freePort()}`,
      '--console-log-level=warn',
      '--summary-interval=0',
      ...quiet,
      torrentFile,
    ]);
    const leecherExit = await waitForExit(leecher);
    await Promise.all([seeder.stop(), tracker.stop(), leecher.stop()]);
    expect(leecherExit, leecher.output()).toBe(0);

    const check = async (): Promise<string> => {
      const storage = await createFileStorage({
        layout: metainfo,
        directory: downloads,
        readOnly: true,
      });
      try {
        return toHexBits((await storage.recheck()).toBytes());
      } finally {
        await storage.close();
      }
    };
    // Complete data: every piece verifies, as aria2c says.
    const full = await check();
    expect(full).toBe(await aria2Verdict(torrentFile, downloads));
    expect(full).toBe(toHexBits(fullBitfield(metainfo.pieceCount)));

    // Damage: a flipped byte in a.bin, b.bin truncated, c.bin deleted.
    const handle = await open(join(downloads, 'album', 'a.bin'), 'r+');
    await handle.write(
      new Uint8Array([0xff ^ (await handle.read(new Uint8Array(1), 0, 1, 100_000)).buffer[0]!]),
      0,
      1,
      100_000,
    );
    await handle.close();
    await truncate(join(downloads, 'album', 'disc', 'b.bin'), 500_000);
    await rm(join(downloads, 'album', 'disc', 'two', 'c.bin'));
    const damaged = await check();
    const theirs = await aria2Verdict(torrentFile, downloads);
    expect(damaged).toBe(theirs);
    expect(damaged).not.toBe(full);
  });
});

function fullBitfield(count: number): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(count / 8)).fill(0xff);
  if (count % 8 !== 0) bytes[bytes.length - 1] = (0xff << (8 - (count % 8))) & 0xff;
  return bytes;
}
