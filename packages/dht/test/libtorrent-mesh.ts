/**
 * A loopback DHT of libtorrent sessions (Debian `python3-libtorrent`), started by
 * `libtorrent-mesh.py` and driven over its HTTP control port. Shared by the interop tests and
 * the bench.
 */
import { fileURLToPath } from 'node:url';
import { freePort, makeTempDir, startProcess, waitFor } from '@bt/test-support';

export interface MeshNode {
  host: string;
  port: number;
}

export interface LibtorrentMesh {
  nodes: MeshNode[];
  /** With `ipv6`: each session's IPv6 DHT node, on [::1] at the same port. */
  nodes6: MeshNode[];
  command<T = Record<string, unknown>>(op: string, args?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

export { requireLibtorrentPython } from '@bt/test-support';

/**
 * Starts `count` linked sessions on 127.`block`.N.1 (N = 1..count); with `ipv6`, each also on
 * [::1] at the same port (BEP 32 dual stack).
 */
export async function startLibtorrentMesh(
  python: string,
  count: number,
  block = 1,
  options: { ipv6?: boolean } = {},
): Promise<LibtorrentMesh> {
  const script = fileURLToPath(new URL('./libtorrent-mesh.py', import.meta.url));
  // our temp folder, not the script's: it goes even when the script is killed
  const folder = await makeTempDir('bt-dht-libtorrent-');
  // Ports reserved for this test process, free on [::1] (the IPv4 side is checked by the script).
  const ports6: number[] = [];
  if (options.ipv6) for (let n = 0; n < count; n++) ports6.push(await freePort('::1'));
  const child = startProcess(python, [script, String(count), String(block), folder], {
    label: 'libtorrent mesh',
    ...(options.ipv6 ? { env: { ...process.env, MESH_PORTS: ports6.join(',') } } : {}),
  });
  const line = await waitFor(
    () =>
      child
        .output()
        .split('\n')
        .find((text) => text.startsWith('{"control"')),
    {
      what: `the libtorrent mesh to start (output so far: ${child.output().slice(-500)})`,
    },
  );
  const ready = JSON.parse(line) as { control: number; nodes: MeshNode[] };
  return {
    nodes: ready.nodes,
    nodes6: ports6.map((port) => ({ host: '::1', port })),
    async command<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
      const response = await fetch(`http://127.0.0.1:${ready.control}/`, {
        method: 'POST',
        body: JSON.stringify({ op, ...args }),
      });
      const body = (await response.json()) as T & { error?: string };
      if (!response.ok) throw new Error(`libtorrent mesh ${op}: ${body.error}`);
      return body;
    },
    stop: () => child.stop(),
  };
}
