/**
 * The Python RPC client library (Debian's python3-transmissionrpc 0.11) runs a scripted session
 * against btd: add, list, set, stop, start, remove with data. Each step prints what the client
 * saw; the test checks it and what btd did on disk.
 */
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  isCI,
  makeTempDir,
  removeTempDirs,
  startProcess,
  stopAllProcesses,
} from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { startBtd } from './btd-process.js';
import { makeSwarm } from './fixtures.js';

const PYTHON = '/usr/bin/python3';

async function hasModule(): Promise<boolean> {
  const probe = startProcess(PYTHON, ['-c', 'import transmissionrpc']);
  const ok = (await probe.exited) === 0;
  if (!ok) {
    const message = "python3-transmissionrpc is missing (run 'bash scripts/install-peers')";
    if (isCI()) throw new Error(`${message}: CI=true, so this interop test fails`);
    console.warn(`SKIPPING: ${message}`);
  }
  return ok;
}

const available = await hasModule().catch(() => false);

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

const SCRIPT = `
import sys, time, transmissionrpc
port, torrent_path = int(sys.argv[1]), sys.argv[2]
c = transmissionrpc.Client('127.0.0.1', port=port, user='py', password='thon')
print('rpc-version', c.rpc_version)
t = c.add_torrent(torrent_path)
print('added', t.id, t.hashString)
def wait_status(wanted):
    for _ in range(1200):
        status = c.get_torrent(t.id).status
        if status == wanted:
            return status
        time.sleep(0.1)
    raise SystemExit('status never became ' + wanted + ', last ' + status)
print('seeding', wait_status('seeding'))
print('list', [(x.id, x.name) for x in c.get_torrents()])
c.change_torrent(t.id, uploadLimit=33, uploadLimited=True, seedRatioLimit=1.5, seedRatioMode=1)
x = c.get_torrent(t.id)
print('set', x.uploadLimit, x.uploadLimited, x.seedRatioLimit, x.seedRatioMode)
c.stop_torrent(t.id)
print('stopped', wait_status('stopped'))
c.start_torrent(t.id)
print('started', wait_status('seeding'))
print('count', c.session_stats().torrentCount)
c.remove_torrent(t.id, delete_data=True)
print('left', len(c.get_torrents()))
`;

describe.skipIf(!available)('python3-transmissionrpc drives btd', () => {
  it('adds, lists, sets, stops, starts and removes with data', async () => {
    const swarm = await makeSwarm('py.bin', 700_000);
    const scriptDir = await makeTempDir('bt-btd-py-');
    const script = join(scriptDir, 'session.py');
    await writeFile(script, SCRIPT);
    const btd = await startBtd({
      downloadDir: swarm.seedDir,
      args: ['-t', '-u', 'py', '-v', 'thon'],
    });
    const python = startProcess(PYTHON, [script, String(btd.rpcPort), swarm.torrent], {
      label: 'python3 transmissionrpc',
    });
    const code = await python.exited;
    const output = python.output();
    expect(code, output).toBe(0);
    expect(output).toMatch(/rpc-version 18/);
    expect(output).toContain(`added 1 ${swarm.infoHash}`);
    expect(output).toMatch(/seeding seeding/);
    expect(output).toMatch(/list \[\(1, '?u?'py\.bin'\)\]/);
    expect(output).toMatch(/set 33 True 1\.5 1/);
    expect(output).toMatch(/stopped stopped/);
    expect(output).toMatch(/started seeding/);
    expect(output).toMatch(/count 1/);
    expect(output).toMatch(/left 0/);
    await expect(access(swarm.payload)).rejects.toThrow();
  });
});
