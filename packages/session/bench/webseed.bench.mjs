// Web-seed download throughput: one file (1 GiB, 1 MiB pieces) served by a local nginx (Debian
// nginx-light, its own config and prefix, loopback). Three leechers in turn, three runs each
// (interleaved), medians: our session from the torrent's web seed alone (BEP 19 `url-list`,
// made by mktorrent -w), aria2c fetching the same file over plain HTTP (default settings: the
// anchor), and aria2c as a web-seed client of the same torrent. Prints MB/s and CPU-s (GNU time)
// beside each and the RATIO lines.
// BENCH_QUICK=1 shrinks the payload to 64 MiB; BENCH_SIZE_MB and BENCH_RUNS override.
// Needs `pnpm build` first, nginx, aria2c and mktorrent.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  median,
  MiB,
  ratio,
  removeOnInterrupt,
  sha1,
  start,
  writeRandomFile,
} from './bench-helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const size = Number(process.env.BENCH_SIZE_MB ?? (quick ? 64 : 1024)) * MiB;
const runs = Number(process.env.BENCH_RUNS ?? 3);

const work = await mkdtemp(join(tmpdir(), 'bt-bench-webseed-'));
removeOnInterrupt(work);

async function waitForPort(port, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// The payload, nginx and the torrent -----------------------------------------------------------
const root = join(work, 'www');
await mkdir(root);
const payload = join(root, 'payload.bin');
await writeRandomFile(payload, size);
const expected = await sha1(payload);
const prefix = join(work, 'nginx');
await mkdir(prefix);
const port = await freePort();
const asRoot = process.getuid?.() === 0;
await writeFile(
  join(prefix, 'nginx.conf'),
  `${asRoot ? 'user root;\n' : ''}worker_processes 1;
error_log ${join(prefix, 'error.log')} warn;
pid ${join(prefix, 'nginx.pid')};
events { worker_connections 256; }
http {
  access_log off;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path ${join(prefix, 'body')};
  proxy_temp_path ${join(prefix, 'proxy')};
  fastcgi_temp_path ${join(prefix, 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'uwsgi')};
  scgi_temp_path ${join(prefix, 'scgi')};
  server { listen 127.0.0.1:${port}; root ${root}; }
}
`,
);
const nginx = start('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;']);
await waitForPort(port);
const url = `http://127.0.0.1:${port}/payload.bin`;
const torrentFile = join(work, 'payload.torrent');
execFileSync(
  'mktorrent',
  ['-l', '20', '-w', url, '-a', 'http://127.0.0.1:9/announce', '-o', torrentFile, payload],
  {
    stdio: 'ignore',
  },
);

// Leechers ---------------------------------------------------------------------------------------
const ARIA2_QUIET = ['--console-log-level=warn', '--summary-interval=0', '--allow-overwrite=true'];
const leechers = {
  ours: () => ['node', [join(here, 'leech-webseed-ours.mjs'), torrentFile, '{dir}']],
  'aria2 http': () => ['aria2c', [...ARIA2_QUIET, '--dir={dir}', url]],
  'aria2 web seed': () => [
    'aria2c',
    [
      ...ARIA2_QUIET,
      '--dir={dir}',
      '--seed-time=0',
      '--enable-dht=false',
      '--enable-dht6=false',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      '--bt-tracker-connect-timeout=1',
      '--bt-tracker-timeout=1',
      torrentFile,
    ],
  ],
};

async function measure(name) {
  const leechDir = join(work, `leech-${name.replace(/\W/g, '-')}`);
  await rm(leechDir, { recursive: true, force: true });
  await mkdir(leechDir);
  const timeFile = join(work, 'time.txt');
  const [command, args] = leechers[name]();
  const started = performance.now();
  const run = start('/usr/bin/time', [
    '-f',
    '%e %U %S %M',
    '-o',
    timeFile,
    command,
    ...args.map((arg) => arg.replaceAll('{dir}', leechDir)),
  ]);
  const code = await Promise.race([
    run.exited,
    new Promise((resolve) => setTimeout(() => resolve('timeout'), 900_000)),
  ]);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) {
    await run.stop();
    throw new Error(`${name} exited with ${code}: ${run.output().slice(-2000)}`);
  }
  run.forget();
  const { readFile } = await import('node:fs/promises');
  const [, user, system, maxKb] = (await readFile(timeFile, 'utf8'))
    .trim()
    .split('\n')
    .pop()
    .split(/\s+/)
    .map(Number);
  const digest = await sha1(join(leechDir, 'payload.bin'));
  if (digest !== expected) throw new Error(`${name} downloaded corrupt data`);
  await rm(leechDir, { recursive: true, force: true });
  return { seconds, cpu: user + system, rssMb: maxKb / 1024, mbps: size / 1e6 / seconds };
}

const results = Object.fromEntries(Object.keys(leechers).map((name) => [name, []]));
try {
  for (let run = 0; run < runs; run++) {
    for (const name of Object.keys(leechers)) results[name].push(await measure(name));
  }
} finally {
  await nginx.stop();
}
console.log(`web-seed download of ${size / MiB} MiB from nginx on loopback, median of ${runs}:`);
const medians = {};
for (const [name, list] of Object.entries(results)) {
  const mbps = median(list.map((r) => r.mbps));
  const cpu = median(list.map((r) => r.cpu));
  const rss = median(list.map((r) => r.rssMb));
  medians[name] = { mbps, cpu };
  console.log(
    `  ${name.padEnd(15)} ${mbps.toFixed(1).padStart(7)} MB/s  ${cpu.toFixed(2).padStart(6)} CPU-s  ${rss.toFixed(0).padStart(4)} MB peak RSS`,
  );
}
ratio('web seed MB/s vs aria2c plain HTTP', medians.ours.mbps, medians['aria2 http'].mbps, 1.0);
ratio(
  'web seed MB/s vs aria2c as web-seed client',
  medians.ours.mbps,
  medians['aria2 web seed'].mbps,
  1.0,
);
ratio(
  'web seed CPU-s vs aria2c plain HTTP',
  medians.ours.cpu,
  medians['aria2 http'].cpu,
  2.0,
  false,
);
await rm(work, { recursive: true, force: true });
