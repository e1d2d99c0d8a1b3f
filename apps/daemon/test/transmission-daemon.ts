/** transmission-daemon (Debian) in its own process group on free loopback ports, for tests. */
import { freePort, type RunningProcess, startProcess, waitForPort } from '@bt/test-support';

export interface TransmissionDaemon {
  process: RunningProcess;
  rpcPort: number;
  peerPort: number;
}

export async function startTransmissionDaemon(options: {
  configDir: string;
  downloadDir: string;
  args?: string[];
}): Promise<TransmissionDaemon> {
  const rpcPort = await freePort();
  const peerPort = await freePort();
  const running = startProcess(
    'transmission-daemon',
    [
      '-f',
      '-g',
      options.configDir,
      '-w',
      options.downloadDir,
      '-p',
      String(rpcPort),
      '-P',
      String(peerPort),
      '-T',
      '--no-portmap',
      '-O',
      '-Y',
      ...(options.args ?? []),
    ],
    { label: 'transmission-daemon' },
  );
  await waitForPort(rpcPort);
  return { process: running, rpcPort, peerPort };
}
