/**
 * Options shared by `bt download`, `bt seed` and `bt demo`: peers given by hand, rate limits,
 * the listening port. Parsing only; the behaviour is `@bt/session`'s.
 */
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

/**
 * `--no-lpd`, `--no-pex`: the discovery the session uses besides trackers and `--peer`. Local
 * peer discovery (BEP 14) and peer exchange (BEP 11) are on unless turned off; a private torrent
 * never uses them.
 */
export function discoveryOptions(context: CommandContext): SessionOptions {
  return {
    localDiscovery: !booleanOption(context, 'no-lpd'),
    peerExchange: !booleanOption(context, 'no-pex'),
  };
}

/** The help lines of the discovery options. */
export const DISCOVERY_HELP = `      --no-lpd         no local peer discovery (BEP 14 multicast on the local network)
      --no-pex         no peer exchange (BEP 11: peers telling each other of peers)`;

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
