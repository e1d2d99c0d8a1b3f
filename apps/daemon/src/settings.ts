/**
 * settings.json in the config folder, with Transmission's key names. The session keys map onto
 * the RPC's (`ratio-limit` is the RPC's `seedRatioLimit`, `encryption` is a number here and a
 * word there); the `rpc-*`, `watch-dir*` and bind keys are the daemon's own. Keys btd does not
 * know are kept (written back as they were) and reported once. A plain `rpc-password` is hashed
 * and written back at start; the file is written back on a clean exit, atomically.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  SESSION_DEFAULTS,
  coerceSetting,
  type SessionKey,
  type SessionSettings,
} from '@bt/transmission-rpc/node';
import { hashPassword, isHashedPassword } from '@bt/transmission-rpc/node';

export type SettingsValue = string | number | boolean;
export type SettingsFile = Record<string, unknown>;

/** The daemon's own keys and their defaults (Transmission's, but the RPC binds to loopback). */
export const DAEMON_DEFAULTS = {
  'rpc-enabled': true,
  'rpc-port': 9091,
  'rpc-bind-address': '127.0.0.1',
  'rpc-url': '/transmission/',
  'rpc-authentication-required': false,
  'rpc-username': '',
  'rpc-password': '',
  'rpc-whitelist': '127.0.0.1,::1',
  'rpc-whitelist-enabled': true,
  'rpc-host-whitelist': '',
  'rpc-host-whitelist-enabled': true,
  'watch-dir': '',
  'watch-dir-enabled': false,
  'bind-address-ipv4': '0.0.0.0',
  'message-level': 4,
} satisfies Record<string, SettingsValue>;

export type DaemonKey = keyof typeof DAEMON_DEFAULTS;
export type DaemonSettings = { -readonly [K in DaemonKey]: (typeof DAEMON_DEFAULTS)[K] };

const ENCRYPTION_WORDS = ['tolerated', 'preferred', 'required'] as const;

/** settings.json key → RPC session key. */
function sessionKeyOf(fileKey: string): SessionKey | undefined {
  if (fileKey === 'ratio-limit') return 'seed_ratio_limit';
  if (fileKey === 'ratio-limit-enabled') return 'seed_ratio_limited';
  const snake = fileKey.replace(/-/g, '_');
  if (snake === 'seed_ratio_limit' || snake === 'seed_ratio_limited') return undefined;
  return Object.hasOwn(SESSION_DEFAULTS, snake) ? (snake as SessionKey) : undefined;
}

/** RPC session key → settings.json key. */
function fileKeyOf(key: SessionKey): string {
  if (key === 'seed_ratio_limit') return 'ratio-limit';
  if (key === 'seed_ratio_limited') return 'ratio-limit-enabled';
  return key.replace(/_/g, '-');
}

export interface LoadedSettings {
  session: SessionSettings;
  daemon: DaemonSettings;
  /** Keys kept but not understood (reported once). */
  unknown: Record<string, unknown>;
  /** Keys whose value had the wrong type (the default is used). */
  invalid: string[];
  /** True when a plain password was hashed (the file must be written back). */
  passwordHashed: boolean;
}

export function defaultDownloadDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.XDG_DOWNLOAD_DIR ?? join(homedir(), 'Downloads');
}

/** Reads `settings.json` (missing: defaults), applies the command line's overrides. */
export async function loadSettings(
  configDir: string,
  overrides: Record<string, SettingsValue>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedSettings> {
  let file: SettingsFile = {};
  try {
    const parsed: unknown = JSON.parse(await readFile(join(configDir, 'settings.json'), 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      file = parsed as SettingsFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return interpretSettings({ ...file, ...overrides }, env);
}

export function interpretSettings(
  input: SettingsFile,
  env: NodeJS.ProcessEnv = process.env,
): LoadedSettings {
  const session: SessionSettings = { ...SESSION_DEFAULTS, download_dir: defaultDownloadDir(env) };
  const daemon: DaemonSettings = { ...DAEMON_DEFAULTS };
  const unknown: Record<string, unknown> = {};
  const invalid: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (Object.hasOwn(DAEMON_DEFAULTS, key)) {
      const expected = typeof DAEMON_DEFAULTS[key as DaemonKey];
      if (typeof value === expected) (daemon as Record<string, unknown>)[key] = value;
      else invalid.push(key);
      continue;
    }
    if (key === 'encryption' && typeof value === 'number') {
      session.encryption = ENCRYPTION_WORDS[value] ?? 'preferred';
      continue;
    }
    const sessionKey = sessionKeyOf(key);
    if (sessionKey) {
      const coerced = coerceSetting(sessionKey, value);
      if (coerced === undefined) invalid.push(key);
      else (session as Record<string, unknown>)[sessionKey] = coerced;
      continue;
    }
    unknown[key] = value;
  }
  let passwordHashed = false;
  if (daemon['rpc-password'] !== '' && !isHashedPassword(daemon['rpc-password'])) {
    daemon['rpc-password'] = hashPassword(daemon['rpc-password']);
    passwordHashed = true;
  }
  return { session, daemon, unknown, invalid, passwordHashed };
}

/** The settings as settings.json holds them (known keys, then the unknown ones kept). */
export function settingsFile(
  session: SessionSettings,
  daemon: DaemonSettings,
  unknown: Record<string, unknown>,
): SettingsFile {
  const out: SettingsFile = { ...unknown };
  for (const key of Object.keys(session) as SessionKey[]) {
    if (key === 'encryption') {
      const index = ENCRYPTION_WORDS.indexOf(
        session.encryption as (typeof ENCRYPTION_WORDS)[number],
      );
      out.encryption = index === -1 ? 1 : index;
      continue;
    }
    out[fileKeyOf(key)] = session[key];
  }
  Object.assign(out, daemon);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** Writes settings.json atomically (4-space JSON, as Transmission writes it). */
export async function writeSettings(configDir: string, file: SettingsFile): Promise<void> {
  await mkdir(configDir, { recursive: true });
  const path = join(configDir, 'settings.json');
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(file, null, 4)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}
