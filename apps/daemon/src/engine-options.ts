/**
 * The session options that Transmission's settings decide: DHT, peer exchange, local peer
 * discovery, uTP and the encryption policy. The engine takes them when it starts, so a change
 * through `session-set` or SIGHUP takes effect at the next start (as `peer-port` does).
 */
import type { SessionOptions } from '@bt/session';
import type { SessionSettings } from '@bt/transmission-rpc/node';

/** Transmission's `encryption`: `required` → `require`, `preferred` → `prefer`, `tolerated` → `allow`. */
export function encryptionPolicy(
  encryption: SessionSettings['encryption'],
): NonNullable<SessionOptions['encryption']> {
  switch (encryption) {
    case 'required':
      return 'require';
    case 'tolerated':
      return 'allow';
    default:
      return 'prefer';
  }
}

export function engineOptions(
  settings: SessionSettings,
  configDir: string,
): Pick<
  SessionOptions,
  'dht' | 'peerExchange' | 'localDiscovery' | 'transportMode' | 'encryption' | 'stateDir'
> {
  return {
    dht: settings.dht_enabled,
    peerExchange: settings.pex_enabled,
    localDiscovery: settings.lpd_enabled,
    transportMode: settings.utp_enabled ? 'both' : 'tcp',
    encryption: encryptionPolicy(settings.encryption),
    stateDir: configDir,
  };
}
