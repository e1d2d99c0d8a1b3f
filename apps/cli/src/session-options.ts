/**
 * Options shared by `bt download`, `bt seed` and `bt demo`: peers given by hand, rate limits,
 * the listening port. Parsing only; the behaviour is `@bt/session`'s.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parsePeerAddress, type PeerAddress } from '@bt/primitives';
import {
  createSession,
  ENCRYPTION_POLICIES,
  type EncryptionPolicy,
  type Session,
  SessionError,
  type SessionOptions,
  type TransportMode,
} from '@bt/session';
import {
  booleanOption,
  type CommandContext,
  integerOption,
  stringListOption,
  stringOption,
  UsageError,
} from './command.js';

/** `--peer HOST:PORT`, repeatable. */
export function peerOptions(context: CommandContext): PeerAddress[] {
  return stringListOption(context, 'peer').map((text) => {
    try {
      return parsePeerAddress(text);
    } catch {
      throw new UsageError(`--peer expects HOST:PORT or [IPv6]:PORT, got ${JSON.stringify(text)}`);
    }
  });
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** A rate like `500K`, `2M`, `1.5MiB` or `100000` (bytes per second; `/s` allowed); 0 = unlimited. */
export function rateOption(context: CommandContext, name: string): number | undefined {
  const text = stringOption(context, name);
  if (text === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)(?:\/s)?$/i.exec(text.trim());
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined)
    throw new UsageError(
      `--${name} expects a rate like 500K, 2M or 1.5MiB, got ${JSON.stringify(text)}`,
    );
  return Math.round(Number(match[1]) * unit);
}

/** `--port N`, checked before anything starts. */
export function portOption(context: CommandContext): number | undefined {
  return integerOption(context, 'port', { min: 0, max: 65535 });
}

/** `--encryption prefer|require|allow|disable` (MSE/PE), checked before anything starts. */
export function encryptionOption(context: CommandContext): EncryptionPolicy | undefined {
  const value = stringOption(context, 'encryption');
  if (value === undefined) return undefined;
  const policy = ENCRYPTION_POLICIES.find((each) => each === value);
  if (policy === undefined)
    throw new UsageError(
      `--encryption expects one of ${ENCRYPTION_POLICIES.join(', ')}, got ${JSON.stringify(value)}`,
    );
  return policy;
}

/** The help line of `--encryption`, the same for every command. */
export const ENCRYPTION_HELP = `      --encryption P   MSE/PE: prefer (dial encrypted, plain on failure), require (encrypted
                       only), allow (dial plain, accept both; the default), disable`;

/** `--transport tcp|utp|both`, checked before anything starts. */
export function transportOption(context: CommandContext): TransportMode | undefined {
  const value = stringOption(context, 'transport');
  if (value === undefined) return undefined;
  const mode = TRANSPORT_MODES.find((each) => each === value);
  if (mode === undefined)
    throw new UsageError(
      `--transport expects one of ${TRANSPORT_MODES.join(', ')}, got ${JSON.stringify(value)}`,
    );
  return mode;
}

const TRANSPORT_MODES: readonly TransportMode[] = ['tcp', 'utp', 'both'];

/** The help line of `--transport`, the same for every command. */
export const TRANSPORT_HELP = `      --transport T    tcp (the default), utp (uTP, BEP 29, on the UDP port of the same number),
                       or both (dial uTP first and TCP half a second later; accept both)`;

/** The help lines of the discovery options. */
export const DISCOVERY_HELP = `      --no-lpd         no local peer discovery (BEP 14 multicast on the local network)
      --no-pex         no peer exchange (BEP 11: peers telling each other of peers)
      --dht-bootstrap HOST:PORT
                       a DHT node to join through, instead of the public routers; repeatable
      --no-dht         no DHT (BEP 5): peers only from trackers, a magnet's x.pe, --peer and
                       the local network
      --state-dir DIR  where the DHT keeps its node id and table between runs (default
                       $XDG_CACHE_HOME/bt, else ~/.cache/bt)`;

/** Starts a session on `port` (default 6881, or any free port when that one is taken). */
export async function startSession(
  port: number | undefined,
  options: SessionOptions = {},
): Promise<Session> {
  try {
    return await createSession({ ...options, port: port ?? 6881 });
  } catch (error) {
    if (port === undefined && SessionError.isInstance(error) && error.code === 'listen-failed') {
      return createSession({ ...options, port: 0 });
    }
    throw error;
  }
}

/**
 * `--no-lpd`: local peer discovery (BEP 14) is on unless turned off; a private torrent never
 * uses it. `--dht-bootstrap HOST:PORT` (repeatable), `--no-dht`, `--state-dir DIR`: the session's DHT
 * node (BEP 5) on the listen port, bootstrapped from the given nodes or the public routers, its
 * table kept in DIR (default `$XDG_CACHE_HOME/bt`, else `~/.cache/bt`).
 */
export function discoveryOptions(
  context: CommandContext,
): Pick<SessionOptions, 'dht' | 'dhtBootstrap' | 'stateDir' | 'localDiscovery' | 'peerExchange'> {
  const localDiscovery = !booleanOption(context, 'no-lpd');
  const peerExchange = !booleanOption(context, 'no-pex');
  const bootstrap = stringListOption(context, 'dht-bootstrap');
  for (const text of bootstrap) {
    if (!/^(\[[0-9a-f:.]+\]|[^:\s]+):\d{1,5}$/i.test(text))
      throw new UsageError(`--dht-bootstrap expects HOST:PORT, got ${JSON.stringify(text)}`);
  }
  if (context.values['no-dht'] === true) {
    if (bootstrap.length > 0) throw new UsageError('--dht-bootstrap and --no-dht contradict');
    return { dht: false, localDiscovery, peerExchange };
  }
  const stateDir = stringOption(context, 'state-dir');
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return {
    localDiscovery,
    peerExchange,
    dht: true,
    dhtBootstrap: bootstrap.length > 0 ? bootstrap : undefined,
    stateDir: stateDir === undefined ? join(cache, 'bt') : resolve(context.cwd, stateDir),
  };
}

export const discoveryOptionsConfig = {
  'dht-bootstrap': { type: 'string', multiple: true },
  'no-dht': { type: 'boolean' },
  'state-dir': { type: 'string' },
} as const;

export const sessionOptionsConfig = {
  port: { type: 'string' },
  peer: { type: 'string', multiple: true },
  'max-peers': { type: 'string' },
  'limit-down': { type: 'string' },
  'limit-up': { type: 'string' },
  encryption: { type: 'string' },
  transport: { type: 'string' },
  json: { type: 'boolean' },
  'no-lpd': { type: 'boolean' },
  'no-pex': { type: 'boolean' },
} as const;
