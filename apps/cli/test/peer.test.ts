/** `bt peer` against a real aria2c seeder on loopback. */
import { join } from 'node:path';
import {
  freePort,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  runMktorrent,
  startProcess,
  stopAllProcesses,
  waitForPort,
} from '@bt/test-support';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const aria2c = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');

describe.skipIf(!aria2c || !mktorrent)('bt peer', () => {
  let dir: string;
  let torrentPath: string;
  let port: number;

  beforeAll(async () => {
    dir = await makeTempDir('bt-peer-');
    const data = new Uint8Array(5 * 32768 + 1000).map((_, i) => (i * 7) % 256);
    await writeFile(join(dir, 'data.bin'), data);
    torrentPath = join(dir, 'data.torrent');
    await runMktorrent({
      program: mktorrent!,
      source: join(dir, 'data.bin'),
      output: torrentPath,
    });
    port = await freePort();
    startProcess(aria2c!, [
      '--seed-ratio=0',
      '-V',
      '--enable-dht=false',
      '--enable-dht6=false',
      '--bt-enable-lpd=false',
      `--listen-port=${port}`,
      '--bt-tracker-connect-timeout=1',
      '--console-log-level=warn',
      '--summary-interval=0',
      '-d',
      dir,
      torrentPath,
    ]);
    await waitForPort(port);
  });
  afterAll(async () => {
    await stopAllProcesses();
    await removeTempDirs();
  });

  it('prints the client, extensions, extension messages and piece set of the peer', async () => {
    const result = await runCli(['peer', `127.0.0.1:${port}`, torrentPath], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^peer\s+127\.0\.0\.1:\d+$/m);
    expect(result.stdout).toMatch(/^peer id\s+A2-1-36-0-/m);
    expect(result.stdout).toMatch(/^extensions\s+BEP 10 extension protocol, BEP 6 fast/m);
    expect(result.stdout).toMatch(/^client\s+aria2\/1\.36/m);
    expect(result.stdout).toMatch(/^messages\s+.*ut_pex=\d+/m);
    expect(result.stdout).toMatch(/^pieces\s+all of 6 \(have-all\)$/m);
    expect(result.stdout).toMatch(/^unchoked\s+yes$/m);
  });

  it('--no-fast --json: a bitfield with every piece, as JSON', async () => {
    const result = await runCli(['peer', `127.0.0.1:${port}`, torrentPath, '--no-fast', '--json'], {
      cwd: dir,
    });
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output.extensions).toMatchObject({ extended: true, fast: true });
    expect(output.extendedHandshake.client).toMatch(/aria2/);
    expect(output.pieces).toEqual({ kind: 'bitfield', have: 6, total: 6 });
    expect(output.unchoked).toBe(true);
  });

  it("prints a peer's client name with its control characters escaped", async () => {
    const hostilePort = await freePort();
    startProcess(aria2c!, [
      '--seed-ratio=0',
      '-V',
      '--enable-dht=false',
      '--enable-dht6=false',
      '--bt-enable-lpd=false',
      `--listen-port=${hostilePort}`,
      // what the peer calls itself in its extension handshake: it clears and recolours a terminal
      '--peer-agent=evil\x1b[2J\x1b[31mred',
      '--bt-tracker-connect-timeout=1',
      '--console-log-level=warn',
      '--summary-interval=0',
      '-d',
      dir,
      torrentPath,
    ]);
    await waitForPort(hostilePort);
    const result = await runCli(['peer', `127.0.0.1:${hostilePort}`, torrentPath], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('\x1b');
    expect(result.stdout).toMatch(/^client\s+evil\\x1b\[2J\\x1b\[31mred$/m);
  });

  it('exits 1 when the peer does not serve the torrent, 3 when nobody listens, 2 on a bad address', async () => {
    const other = 'ab'.repeat(20);
    // aria2c hangs up on a torrent it does not serve; the limit only ends a stuck test
    const refused = await runCli(['peer', `127.0.0.1:${port}`, other, '--timeout', '60'], {
      cwd: dir,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^bt peer: 127\.0\.0\.1:\d+: /);
    const closedPort = await freePort();
    const unreachable = await runCli(['peer', `127.0.0.1:${closedPort}`, other], { cwd: dir });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/could not connect/);
    const bad = await runCli(['peer', 'nowhere', other], { cwd: dir });
    expect(bad.code).toBe(2);
  });
});
