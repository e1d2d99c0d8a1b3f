/**
 * Test helpers: `src/btd.ts` bundled once from the sources, btd started in its own process
 * group on free loopback ports, transmission-remote run against it, and a tiny RPC client
 * (session id exchange included) to check what btd really did.
 */
import { join } from 'node:path';
import {
  bundleScript,
  freePort,
  makeTempDir,
  PATIENCE_MS,
  type RunningProcess,
  startProcess,
  waitFor,
} from '@bt/test-support';

let bundled: Promise<string> | undefined;

export function btdScript(): Promise<string> {
  bundled ??= bundleScript(join(import.meta.dirname, '..', 'src', 'btd.ts'), 'btd');
  return bundled;
}

export interface Btd {
  process: RunningProcess;
  rpcPort: number;
  peerPort: number;
  configDir: string;
  output(): string;
  rpc(
    method: string,
    args?: Record<string, unknown>,
  ): Promise<{ result: string; arguments: Record<string, unknown> }>;
  /** Waits until the log matches (or the process ends: then it throws with the log). */
  waitForLog(pattern: RegExp): Promise<void>;
}

export interface StartBtdOptions {
  configDir?: string;
  downloadDir?: string;
  rpcPort?: number;
  peerPort?: number;
  args?: string[];
  credentials?: string;
  env?: NodeJS.ProcessEnv;
}

export async function startBtd(options: StartBtdOptions = {}): Promise<Btd> {
  const script = await btdScript();
  const configDir = options.configDir ?? (await makeTempDir('bt-btd-config-'));
  const rpcPort = options.rpcPort ?? (await freePort());
  const peerPort = options.peerPort ?? (await freePort());
  const args = [
    script,
    '-f',
    '-g',
    configDir,
    '-p',
    String(rpcPort),
    '-P',
    String(peerPort),
    '--log-level',
    'debug',
  ];
  if (options.downloadDir) args.push('-w', options.downloadDir);
  args.push(...(options.args ?? []));
  const running = startProcess(process.execPath, args, { label: 'btd', env: options.env });
  const waitForLog = async (pattern: RegExp): Promise<void> => {
    let ended = false;
    void running.exited.then(() => (ended = true));
    await waitFor(
      () => {
        if (pattern.test(running.output())) return true;
        if (ended) throw new Error(`btd exited before ${pattern}:\n${running.output()}`);
        return undefined;
      },
      { what: `btd log ${pattern}`, intervalMs: 50 },
    );
  };
  await waitForLog(/RPC on http/);
  let sessionId = '';
  const auth: Record<string, string> = options.credentials
    ? { Authorization: `Basic ${btoa(options.credentials)}` }
    : {};
  const rpc: Btd['rpc'] = async (method, rpcArgs = {}) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await fetch(`http://127.0.0.1:${rpcPort}/transmission/rpc`, {
        method: 'POST',
        headers: { 'X-Transmission-Session-Id': sessionId, ...auth },
        body: JSON.stringify({ method, arguments: rpcArgs }),
        signal: AbortSignal.timeout(PATIENCE_MS),
      });
      if (response.status === 409) {
        sessionId = response.headers.get('X-Transmission-Session-Id') ?? '';
        continue;
      }
      return (await response.json()) as { result: string; arguments: Record<string, unknown> };
    }
    throw new Error('no session id after 3 tries');
  };
  return {
    process: running,
    rpcPort,
    peerPort,
    configDir,
    output: () => running.output(),
    rpc,
    waitForLog,
  };
}

/** Runs transmission-remote against btd; resolves with its exit code and output. */
export async function remote(
  btd: { rpcPort: number },
  ...args: string[]
): Promise<{ code: number | string; output: string }> {
  const running = startProcess('transmission-remote', [String(btd.rpcPort), ...args], {
    label: 'transmission-remote',
  });
  const code = await running.exited;
  return { code, output: running.output() };
}

/** A torrent's fields by hash, through the RPC. */
export async function torrentByHash(
  btd: Btd,
  hash: string,
  fields: string[],
): Promise<Record<string, unknown> | undefined> {
  const answer = await btd.rpc('torrent-get', { ids: [hash], fields });
  return (answer.arguments.torrents as Record<string, unknown>[])[0];
}
