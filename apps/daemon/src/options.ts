/**
 * transmission-daemon's command line, as btd reads it. Each flag overrides a settings.json key
 * (and is written back with it), as Transmission's do.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findWebRoot } from './web-root.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export type LogLevel = 'critical' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
export const LOG_LEVELS: readonly LogLevel[] = [
  'critical',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
];

export interface DaemonOptions {
  configDir: string;
  foreground: boolean;
  logFile?: string;
  logLevel?: LogLevel;
  dumpSettings: boolean;
  help: boolean;
  version: boolean;
  pidFile?: string;
  webRoot?: string;
  /** `--paused`: every torrent starts stopped. */
  startPaused: boolean;
  /** settings.json keys set on the command line (Transmission's kebab-case names). */
  overrides: Record<string, string | number | boolean>;
}

export const HELP = `btd: a BitTorrent daemon that speaks Transmission's RPC

Usage: btd [options]

Options:
  -h, --help                     show this help
  -V, --version                  show the version
  -g, --config-dir DIR           where settings.json, torrents/ and resume data live
                                 (default: $TRANSMISSION_HOME or ~/.config/transmission-daemon)
  -f, --foreground               run in the foreground, logging to stderr
  -e, --logfile FILE             log to FILE
      --log-level LEVEL          critical, error, warn, info, debug or trace (default info)
  -d, --dump-settings            print the settings (settings.json with the flags applied) and exit
  -x, --pid-file FILE            write the process id to FILE
  -w, --download-dir DIR         where torrents are downloaded
      --incomplete-dir DIR       keep unfinished torrents in DIR
      --no-incomplete-dir        do not
  -c, --watch-dir DIR            add .torrent files dropped in DIR (renamed .added)
  -C, --no-watch-dir             do not watch a folder
  -p, --port PORT                RPC port (default 9091)
  -r, --rpc-bind-address ADDR    RPC address (default 127.0.0.1)
  -t, --auth                     require a username and password for the RPC
  -T, --no-auth                  do not
  -u, --username NAME            RPC username
  -v, --password PASSWORD        RPC password (stored hashed in settings.json)
  -a, --allowed LIST             RPC whitelist: addresses with * wildcards, comma separated
  -P, --peerport PORT            port for incoming peers (default 51413)
  -L, --peerlimit-global N       most peers overall
  -l, --peerlimit-torrent N      most peers per torrent
      --paused                   start with every torrent stopped
  -o, --dht / -O, --no-dht        DHT (BEP 5) on or off
  -y, --lpd / -Y, --no-lpd        local peer discovery (BEP 14) on or off
      --utp / --no-utp           uTP (BEP 29) beside TCP, or TCP only
      --encryption-required      only encrypted peers (MSE); --encryption-preferred: dial
                                 encrypted, accept both; --encryption-tolerated: dial in
                                 plaintext, accept both
      --web-root DIR             serve a web client (e.g. /usr/share/transmission/web) at
                                 /transmission/web/ (or set TRANSMISSION_WEB_HOME; default:
                                 transmission/web or public_html in the XDG data folders)

Signals: SIGTERM and SIGINT stop cleanly (stopped announces sent, data and resume flushed,
settings.json written); SIGHUP reloads settings.json.`;

function integer(value: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
    throw new UsageError(
      `${flag} expects a number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  return Number(value);
}

export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TRANSMISSION_HOME) return resolve(env.TRANSMISSION_HOME);
  const base = env.XDG_CONFIG_HOME ?? join(homedir(), '.config');
  return join(base, 'transmission-daemon');
}

export function parseOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): DaemonOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
        'config-dir': { type: 'string', short: 'g' },
        foreground: { type: 'boolean', short: 'f' },
        logfile: { type: 'string', short: 'e' },
        'log-level': { type: 'string' },
        'dump-settings': { type: 'boolean', short: 'd' },
        'pid-file': { type: 'string', short: 'x' },
        'download-dir': { type: 'string', short: 'w' },
        'incomplete-dir': { type: 'string' },
        'no-incomplete-dir': { type: 'boolean' },
        'watch-dir': { type: 'string', short: 'c' },
        'no-watch-dir': { type: 'boolean', short: 'C' },
        port: { type: 'string', short: 'p' },
        'rpc-bind-address': { type: 'string', short: 'r' },
        auth: { type: 'boolean', short: 't' },
        'no-auth': { type: 'boolean', short: 'T' },
        username: { type: 'string', short: 'u' },
        password: { type: 'string', short: 'v' },
        allowed: { type: 'string', short: 'a' },
        peerport: { type: 'string', short: 'P' },
        'peerlimit-global': { type: 'string', short: 'L' },
        'peerlimit-torrent': { type: 'string', short: 'l' },
        paused: { type: 'boolean' },
        'web-root': { type: 'string' },
        dht: { type: 'boolean', short: 'o' },
        'no-dht': { type: 'boolean', short: 'O' },
        lpd: { type: 'boolean', short: 'y' },
        'no-lpd': { type: 'boolean', short: 'Y' },
        utp: { type: 'boolean' },
        'no-utp': { type: 'boolean' },
        'encryption-required': { type: 'boolean' },
        'encryption-preferred': { type: 'boolean' },
        'encryption-tolerated': { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const values = parsed.values;
  const overrides: DaemonOptions['overrides'] = {};
  const path = (value: string): string => resolve(cwd, value);
  if (values['download-dir'] !== undefined)
    overrides['download-dir'] = path(values['download-dir']);
  if (values['incomplete-dir'] !== undefined) {
    overrides['incomplete-dir'] = path(values['incomplete-dir']);
    overrides['incomplete-dir-enabled'] = true;
  }
  if (values['no-incomplete-dir']) overrides['incomplete-dir-enabled'] = false;
  if (values['watch-dir'] !== undefined) {
    overrides['watch-dir'] = path(values['watch-dir']);
    overrides['watch-dir-enabled'] = true;
  }
  if (values['no-watch-dir']) overrides['watch-dir-enabled'] = false;
  if (values.port !== undefined) overrides['rpc-port'] = integer(values.port, '--port', 0, 65535);
  if (values['rpc-bind-address'] !== undefined)
    overrides['rpc-bind-address'] = values['rpc-bind-address'];
  for (const [on, off, key] of [
    ['dht', 'no-dht', 'dht-enabled'],
    ['lpd', 'no-lpd', 'lpd-enabled'],
    ['utp', 'no-utp', 'utp-enabled'],
  ] as const) {
    if (values[on]) overrides[key] = true;
    if (values[off]) overrides[key] = false;
  }
  // settings.json's numbers: 0 tolerated (plaintext preferred), 1 preferred, 2 required
  if (values['encryption-tolerated']) overrides.encryption = 0;
  if (values['encryption-preferred']) overrides.encryption = 1;
  if (values['encryption-required']) overrides.encryption = 2;
  if (values.auth) overrides['rpc-authentication-required'] = true;
  if (values['no-auth']) overrides['rpc-authentication-required'] = false;
  if (values.username !== undefined) overrides['rpc-username'] = values.username;
  if (values.password !== undefined) overrides['rpc-password'] = values.password;
  if (values.allowed !== undefined) {
    overrides['rpc-whitelist'] = values.allowed;
    overrides['rpc-whitelist-enabled'] = true;
  }
  if (values.peerport !== undefined)
    overrides['peer-port'] = integer(values.peerport, '--peerport', 0, 65535);
  if (values['peerlimit-global'] !== undefined)
    overrides['peer-limit-global'] = integer(
      values['peerlimit-global'],
      '--peerlimit-global',
      1,
      100_000,
    );
  if (values['peerlimit-torrent'] !== undefined)
    overrides['peer-limit-per-torrent'] = integer(
      values['peerlimit-torrent'],
      '--peerlimit-torrent',
      1,
      100_000,
    );
  const level = values['log-level'];
  if (level !== undefined && !LOG_LEVELS.includes(level as LogLevel))
    throw new UsageError(
      `--log-level expects one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`,
    );
  return {
    configDir:
      values['config-dir'] !== undefined ? path(values['config-dir']) : defaultConfigDir(env),
    foreground: values.foreground ?? false,
    logFile: values.logfile !== undefined ? path(values.logfile) : undefined,
    logLevel: level as LogLevel | undefined,
    dumpSettings: values['dump-settings'] ?? false,
    help: values.help ?? false,
    version: values.version ?? false,
    pidFile: values['pid-file'] !== undefined ? path(values['pid-file']) : undefined,
    webRoot:
      values['web-root'] !== undefined
        ? path(values['web-root'])
        : env.TRANSMISSION_WEB_HOME || findWebRoot(env),
    startPaused: values.paused ?? false,
    overrides,
  };
}
