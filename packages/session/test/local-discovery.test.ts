/**
 * Local peer discovery (BEP 14) against clients nobody here wrote: our session and libtorrent,
 * and our session and aria2, find each other with no tracker, DHT or peer given, and the
 * payload crosses both ways. Multicast needs an interface that carries it, so every program
 * runs inside a network namespace of the test's own whose loopback routes 239.0.0.0/8 (the
 * host's interfaces are never touched). Also: a private torrent is never announced (BEP 27),
 * and a flood of malformed announces is dropped while the download completes.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTorrent } from '@bt/metainfo/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLoopbackNamespace,
  makeTempDir,
  type NetworkNamespace,
  PATIENCE_MS,
  removeTempDirs,
  requireNamespaces,
  requireProgram,
  type RunningProcess,
  stopAllProcesses,
  waitFor,
} from '@bt/test-support';
import { bundleChild } from './child-client.js';
import { makePayload, makeTorrent, sha1File } from './helpers.js';
import { libtorrentPeerScript, requireLibtorrentPython } from './libtorrent.js';

const namespaces = requireNamespaces();
const python = requireLibtorrentPython();
const aria2 = requireProgram('aria2c', 'aria2');
requireProgram('mktorrent');

type Event = Record<string, unknown> & { type: string };

function events(run: RunningProcess): Event[] {
  const found: Event[] = [];
  for (const line of run.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      found.push(JSON.parse(line) as Event);
    } catch {
      // a line cut by the output's end
    }
  }
  return found;
}

async function waitForEvent(
  run: RunningProcess,
  what: string,
  match: (event: Event) => boolean,
): Promise<Event> {
  try {
    return await waitFor(() => events(run).find(match), { what, timeoutMs: PATIENCE_MS });
  } catch (error) {
    throw new Error(`${String(error)}; its output: ${run.output().slice(-1500)}`);
  }
}

interface SourceRow {
  source: string;
  state: string;
  message?: string;
  peers?: number;
  seeds?: number;
}

function lastRows(run: RunningProcess, infoHash: string): SourceRow[] | undefined {
  const stats = events(run).filter((event) => event.type === 'stats');
  const last = stats.at(-1) as
    { torrents: { infoHash: string; sources: SourceRow[] }[] } | undefined;
  return last?.torrents.find((torrent) => torrent.infoHash === infoHash)?.sources;
}

describe.skipIf(!namespaces)('local peer discovery (BEP 14), in a network namespace', () => {
  let namespace: NetworkNamespace;
  let child: string;

  beforeAll(async () => {
    namespace = createLoopbackNamespace();
    child = await bundleChild(await makeTempDir(), 'discovery-child');
  });

  afterAll(async () => {
    await stopAllProcesses();
    namespace?.remove();
    await removeTempDirs();
  });

  /** Our session in the namespace, local discovery on, with these torrents. */
  function startOurs(torrents: { file: string; directory: string }[]): RunningProcess {
    return namespace.start(
      process.execPath,
      [child, JSON.stringify({ host: '127.0.0.1', localDiscovery: true, torrents })],
      { label: 'our session' },
    );
  }

  function startLibtorrent(options: Record<string, unknown>): RunningProcess {
    return namespace.start(
      python!,
      [libtorrentPeerScript, JSON.stringify({ listen: '127.0.0.1:0', lsd: true, ...options })],
      { label: 'libtorrent' },
    );
  }

  async function fixture(size: number) {
    const seedDir = await makeTempDir();
    const leechDir = await makeTempDir();
    const payload = await makePayload(seedDir, 'payload.bin', size);
    const { metainfo, file } = await makeTorrent(payload, join(seedDir, 'payload.torrent'));
    return { seedDir, leechDir, payload, metainfo, file };
  }

  it.skipIf(!python)(
    'our session finds a libtorrent seeder with no tracker, DHT or peer given, and downloads from it',
    async () => {
      const { seedDir, leechDir, payload, metainfo, file } = await fixture(3_000_000);
      const seeder = startLibtorrent({ torrent: file, save: seedDir });
      await waitForEvent(seeder, 'libtorrent to listen', (event) => event.type === 'ready');
      const ours = startOurs([{ file, directory: leechDir }]);
      await waitForEvent(ours, 'the download to complete', (event) => event.type === 'complete');
      expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
      // libtorrent heard our announce too
      await waitForEvent(
        seeder,
        'libtorrent to hear our announce',
        (event) => event.type === 'lsd-peer',
      );
      const row = await waitFor(() =>
        lastRows(ours, metainfo.infoHashHex)?.find(
          (source) => source.source === '[Local Peer Discovery]' && (source.peers ?? 0) > 0,
        ),
      );
      expect(row.state).toBe('working');
      await ours.stop();
      await seeder.stop();
    },
  );

  it.skipIf(!python)(
    'a libtorrent leecher finds our seeding session and downloads from it',
    async () => {
      const { seedDir, leechDir, payload, file } = await fixture(2_000_000);
      const ours = startOurs([{ file, directory: seedDir }]);
      await waitForEvent(ours, 'our session to listen', (event) => event.type === 'listening');
      const leecher = startLibtorrent({ torrent: file, save: leechDir });
      await waitForEvent(leecher, 'libtorrent to finish', (event) => event.type === 'finished');
      expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
      await leecher.stop();
      await ours.stop();
    },
  );

  it.skipIf(!aria2)('our session and aria2 find each other both ways', async () => {
    const { seedDir, leechDir, payload, file } = await fixture(1_500_000);
    // aria2 seeds; we find it
    const seeder = namespace.start(
      'aria2c',
      [...ariaArgs(seedDir), '--seed-ratio=0.0', '--check-integrity=true', file],
      {
        label: 'aria2 seeder',
      },
    );
    const ours = startOurs([{ file, directory: leechDir }]);
    await waitForEvent(
      ours,
      'the download from aria2 to complete',
      (event) => event.type === 'complete',
    );
    expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
    await seeder.stop();
    // we seed what we downloaded; an aria2 leecher finds us
    const ariaDir = await makeTempDir();
    const leecher = namespace.start('aria2c', [...ariaArgs(ariaDir), '--seed-time=0', file], {
      label: 'aria2 leecher',
    });
    const code = await Promise.race([
      leecher.exited,
      new Promise((resolve) => setTimeout(resolve, PATIENCE_MS, 'stuck')),
    ]);
    expect(code, leecher.output().slice(-2000)).toBe(0);
    expect(await sha1File(join(ariaDir, 'payload.bin'))).toBe(await sha1File(payload));
    await ours.stop();
  });

  it('announces a public torrent and never a private one (BEP 27), whose row says so', async () => {
    const dir = await makeTempDir();
    await makePayload(dir, 'public.bin', 100_000);
    await makePayload(dir, 'private.bin', 100_000);
    const made = await createTorrent(join(dir, 'public.bin'), { createdBy: '' });
    const secret = await createTorrent(join(dir, 'private.bin'), { private: true });
    await writeFile(join(dir, 'public.torrent'), made.torrent);
    await writeFile(join(dir, 'private.torrent'), secret.torrent);
    // a listener on the group, in the namespace, printing what it hears
    const listener = namespace.start(process.execPath, ['-e', LISTENER], { label: 'listener' });
    await waitFor(() => listener.output().includes('bound'));
    const ours = startOurs([
      { file: join(dir, 'private.torrent'), directory: dir },
      { file: join(dir, 'public.torrent'), directory: dir },
    ]);
    await waitFor(() => listener.output().includes(made.metainfo.infoHashHex), {
      what: 'our announce of the public torrent',
    }).catch((error: unknown) => {
      throw new Error(
        `${String(error)}: heard ${listener.output()}; ours: ${ours.output().slice(-1000)}`,
      );
    });
    // both were seeding before that announce went out: had the private one been announced, it
    // would have been in that datagram (one a minute, every swarm due in it)
    expect(listener.output().toLowerCase()).not.toContain(secret.metainfo.infoHashHex);
    const row = await waitFor(() =>
      lastRows(ours, secret.metainfo.infoHashHex)?.find(
        (source) => source.source === '[Local Peer Discovery]',
      ),
    );
    expect(row).toMatchObject({ state: 'disabled', message: 'private torrent' });
    await ours.stop();
    await listener.stop();
  });

  it.skipIf(!python)(
    'a flood of malformed announces is dropped, memory stays bounded, and the download completes',
    async () => {
      const { seedDir, leechDir, payload, file } = await fixture(2_000_000);
      const ours = startOurs([{ file, directory: leechDir }]);
      await waitForEvent(ours, 'our session to listen', (event) => event.type === 'listening');
      const flood = namespace.start(process.execPath, ['-e', FLOOD], { label: 'flood' });
      await waitFor(() => flood.output().includes('sent'), { what: 'the flood to start' });
      const seeder = startLibtorrent({ torrent: file, save: seedDir });
      await waitForEvent(ours, 'the download to complete', (event) => event.type === 'complete');
      expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
      const last = events(ours)
        .filter((event) => event.type === 'stats')
        .at(-1) as unknown as {
        rss: number;
      };
      expect(last.rss).toBeLessThan(400 * 1024 * 1024);
      await flood.stop();
      await seeder.stop();
      await ours.stop();
    },
  );
});

function ariaArgs(dir: string): string[] {
  return [
    `--dir=${dir}`,
    '--bt-enable-lpd=true',
    '--bt-lpd-interface=127.0.0.1',
    '--enable-dht=false',
    '--enable-dht6=false',
    '--enable-peer-exchange=false',
    '--listen-port=6950-6999',
    '--console-log-level=warn',
    '--summary-interval=0',
    '--file-allocation=none',
    '--disable-ipv6=true',
    '--bt-tracker-connect-timeout=2',
    '--bt-tracker-timeout=2',
  ];
}

// Prints every datagram sent to the IPv4 group.
const LISTENER = `
const dgram = require('node:dgram');
const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
socket.on('message', (message) => console.log(JSON.stringify(message.toString('latin1'))));
socket.bind(6771, () => { socket.addMembership('239.192.152.143', '127.0.0.1'); console.log('bound'); });
`;

// Multicasts malformed and hostile announces as fast as it can, for as long as it runs.
const FLOOD = `
const dgram = require('node:dgram');
const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
// Another host of the LAN (127.0.0.2), as a hostile neighbour would be: the per-sender limit
// must cut it off without also silencing the honest seeder on 127.0.0.1.
socket.bind({ address: '127.0.0.2' }, () => {
  socket.setMulticastInterface('127.0.0.2');
  const kinds = [
    Buffer.alloc(1400, 0xff),
    Buffer.from('BT-SEARCH * HTTP/1.1\\r\\nPort: 99999\\r\\nInfohash: zz\\r\\n\\r\\n'),
    Buffer.from('BT-SEARCH * HTTP/1.1\\r\\n' + 'Infohash: ' + '1'.repeat(40) + '\\r\\n'.repeat(300)),
    Buffer.alloc(8000, 0x41),
    Buffer.from('GET / HTTP/1.1\\r\\n\\r\\n'),
  ];
  let sent = 0;
  const burst = () => {
    for (let i = 0; i < 200; i++) socket.send(kinds[sent++ % kinds.length], 6771, '239.192.152.143');
    if (sent === 200) console.log('sent');
    setImmediate(burst);
  };
  burst();
});
`;
