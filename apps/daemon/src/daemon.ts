/**
 * btd itself: settings, the session, the RPC backend and server, the watch folder, and their
 * order of start and stop. A clean stop sends the stopped announces, flushes data and resume
 * records, saves every torrent's state and writes settings.json back.
 */
import { join } from 'node:path';
import { createSession, folderResumeStore, type Session } from '@bt/session';
import { createStreamHandler } from '@bt/session/node';
import { isAddressAllowed, parseWhitelist, RpcError } from '@bt/transmission-rpc';
import {
  type RpcServer,
  type RpcServerOptions,
  SessionBackend,
  startRpcServer,
  verifyPassword,
} from '@bt/transmission-rpc/node';
import type { Logger } from './logger.js';
import type { DaemonOptions } from './options.js';
import { type LoadedSettings, loadSettings, settingsFile, writeSettings } from './settings.js';
import { WatchDir } from './watch-dir.js';
import { engineOptions } from './engine-options.js';
import { findWebUi } from './web-ui.js';

export const VERSION = '0.1.0';
/** What clients see: a Transmission version they accept (Sonarr and Radarr need ≥ 2.40). */
export const REPORTED_VERSION = `4.1.0 (btd ${VERSION})`;

export interface Daemon {
  readonly rpcPort: number;
  readonly peerPort: number;
  readonly backend: SessionBackend;
  readonly session: Session;
  /** Resolves when the daemon asked itself to stop (`session-close`). */
  readonly closeRequested: Promise<void>;
  reload(): Promise<void>;
  close(): Promise<void>;
}

export async function startDaemon(
  options: DaemonOptions,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Daemon> {
  const log = logger.log.bind(logger);
  let settings: LoadedSettings = await loadSettings(options.configDir, options.overrides, env);
  const report = (loaded: LoadedSettings): void => {
    const unknown = Object.keys(loaded.unknown);
    if (unknown.length > 0)
      log('warn', `settings.json: kept but ignored (not used by btd): ${unknown.join(', ')}`);
    if (loaded.invalid.length > 0)
      log('warn', `settings.json: wrong type, defaults used: ${loaded.invalid.join(', ')}`);
  };
  report(settings);
  const persist = (): Promise<void> =>
    writeSettings(
      options.configDir,
      settingsFile(backend.settings, settings.daemon, settings.unknown),
    );

  const session = await createSession({
    port: settings.session.peer_port,
    host: settings.daemon['bind-address-ipv4'],
    maxConnections: settings.session.peer_limit_global,
    maxPeersPerTorrent: settings.session.peer_limit_per_torrent,
    // as Transmission's `lpd-enabled` (false by default); peer exchange stays on, as its `pex-enabled`
    localDiscovery: false,
    resume: folderResumeStore(join(options.configDir, 'bt-resume')),
    ...engineOptions(settings.session, options.configDir),
    onRecheck: (hash, how) =>
      log(
        'debug',
        `${hash}: ${how === 'resumed' ? 'resume data trusted, no hashing' : 'data hashed'}`,
      ),
  });
  let settingsWrite: ReturnType<typeof setTimeout> | undefined;
  let resolveClose!: () => void;
  const closeRequested = new Promise<void>((resolve) => (resolveClose = resolve));
  const backend = new SessionBackend({
    session,
    configDir: options.configDir,
    settings: settings.session,
    version: REPORTED_VERSION,
    log: (level, message) => log(level, message),
    onClose: () => resolveClose(),
    onSettingsChanged: () => {
      settingsWrite ??= setTimeout(() => {
        settingsWrite = undefined;
        persist().catch((error: unknown) =>
          log('error', `cannot write settings.json: ${String(error)}`),
        );
      }, 500);
    },
  });
  await backend.open();
  if (options.startPaused) await backend.torrentAction('stop', backend.resolve({ kind: 'all' }));
  await persist();
  log(
    'info',
    `peers on port ${session.port}; ${backend.torrentCount} torrents loaded from ${options.configDir}`,
  );

  // files of torrents over HTTP while they download, at /stream/<info-hash>/<file index>,
  // behind the RPC's whitelists and authentication
  const streams = createStreamHandler({ resolve: (infoHash) => session.get(infoHash) });
  const rpcOptions: RpcServerOptions = {
    handlers: [(request, response) => streams.handle(request, response)],
    backend,
    port: settings.daemon['rpc-port'],
    host: settings.daemon['rpc-bind-address'],
    url: settings.daemon['rpc-url'],
    webRoot: options.webRoot,
    appRoot: findWebUi(env),
    onRefused: ({ address, status, reason }) =>
      log('debug', `rpc: ${status} for ${address}: ${reason}`),
  };
  const applyAccess = (daemon: LoadedSettings['daemon']): void => {
    rpcOptions.whitelist = daemon['rpc-whitelist-enabled']
      ? parseWhitelist(daemon['rpc-whitelist'])
      : undefined;
    rpcOptions.hostWhitelist = daemon['rpc-host-whitelist-enabled']
      ? parseWhitelist(daemon['rpc-host-whitelist'])
      : undefined;
    const stored = daemon['rpc-password'];
    rpcOptions.authentication = daemon['rpc-authentication-required']
      ? { username: daemon['rpc-username'], verify: (password) => verifyPassword(password, stored) }
      : undefined;
  };
  applyAccess(settings.daemon);
  let server: RpcServer | undefined;
  if (settings.daemon['rpc-enabled']) {
    server = await startRpcServer(rpcOptions);
    const running = server;
    backend.sessionIdSource = () => running.sessionId;
    const bound = settings.daemon['rpc-bind-address'];
    if (
      rpcOptions.whitelist &&
      !isAddressAllowed(bound === '0.0.0.0' ? '127.0.0.1' : bound, rpcOptions.whitelist)
    )
      log('warn', `rpc-whitelist does not allow ${bound}`);
    log('info', `RPC on http://${bound}:${server.port}${settings.daemon['rpc-url']}rpc`);
    if (rpcOptions.appRoot) log('info', `web UI on http://${bound}:${server.port}/`);
    log('info', `streams on http://${bound}:${server.port}/stream/<info-hash>/<file index>`);
  }

  let watcher: WatchDir | undefined;
  const startWatching = (daemon: LoadedSettings['daemon']): void => {
    if (!daemon['watch-dir-enabled'] || daemon['watch-dir'] === '') return;
    watcher = new WatchDir({
      folder: daemon['watch-dir'],
      add: async (bytes, file) => {
        const result = await backend.torrentAdd({ metainfo: bytes });
        log(
          'info',
          `watch-dir: ${file} ${result.duplicate ? 'was already added' : `added as #${result.id}`}`,
        );
      },
      onError: (file, error) =>
        log(
          'error',
          `watch-dir: cannot add ${file}: ${RpcError.isInstance(error) || error instanceof Error ? error.message : String(error)}`,
        ),
    });
    watcher.start();
    log('info', `watching ${daemon['watch-dir']} for .torrent files`);
  };
  startWatching(settings.daemon);

  let closing: Promise<void> | undefined;
  return {
    get rpcPort() {
      return server?.port ?? 0;
    },
    peerPort: session.port,
    backend,
    session,
    closeRequested,
    async reload() {
      const next = await loadSettings(options.configDir, {}, env);
      report(next);
      await backend.sessionSet({ ...next.session });
      applyAccess(next.daemon);
      const watchChanged =
        next.daemon['watch-dir'] !== settings.daemon['watch-dir'] ||
        next.daemon['watch-dir-enabled'] !== settings.daemon['watch-dir-enabled'];
      if (watchChanged) {
        await watcher?.close();
        watcher = undefined;
        startWatching(next.daemon);
      }
      for (const key of [
        'rpc-port',
        'rpc-bind-address',
        'rpc-url',
        'rpc-enabled',
        'bind-address-ipv4',
      ] as const)
        if (next.daemon[key] !== settings.daemon[key])
          log('warn', `settings.json: ${key} changes take effect at the next start`);
      settings = { ...next, daemon: { ...next.daemon } };
      if (next.passwordHashed) await persist();
      log('info', 'settings reloaded');
    },
    close() {
      closing ??= (async () => {
        if (settingsWrite) clearTimeout(settingsWrite);
        await watcher?.close();
        streams.close();
        await server?.close();
        await backend.close();
        await session.close();
        await persist();
        log('info', 'stopped cleanly');
      })();
      return closing;
    },
  };
}
