/**
 * The method table: one RPC request (already parsed JSON) in, one answer out, over an
 * `RpcBackend`. Both dialects are spoken, told apart by the `jsonrpc` key: the legacy one
 * (`method`/`arguments`/`tag` → `result`/`arguments`/`tag`, kebab-case methods and session keys,
 * camelCase torrent fields) of every client before Transmission 4.1, and 4.1's JSON-RPC 2.0
 * (snake_case, `params`/`result`/`error`, notifications unanswered). A failure is an answer, not
 * an exception: HTTP stays 200.
 */
import {
  type Arguments,
  booleanArgument,
  indexListArgument,
  numberArgument,
  selectorArgument,
  stringArgument,
  stringListArgument,
} from './arguments.js';
import {
  type RpcBackend,
  type TorrentAction,
  type TorrentAddInput,
  type TorrentField,
  type TorrentSetChanges,
  TORRENT_FIELDS,
} from './backend.js';
import { RpcError } from './errors.js';
import {
  renameKeys,
  snakeArguments,
  toLegacySessionKey,
  toLegacyTorrentKey,
  toSnake,
} from './names.js';

export type Dialect = 'legacy' | 'json-rpc';

/** The answer to one request; `body` is undefined for a JSON-RPC notification (HTTP 204). */
export interface RpcReply {
  dialect: Dialect;
  body: Record<string, unknown> | undefined;
}

const TORRENT_FIELD_SET: ReadonlySet<string> = new Set(TORRENT_FIELDS);

interface Call {
  dialect: Dialect;
  method: string;
  args: Arguments;
}

type Handler = (backend: RpcBackend, call: Call) => Promise<Record<string, unknown>>;

/** Parses the request body (text) and answers it; never throws. */
export async function handleRpcText(backend: RpcBackend, text: string): Promise<RpcReply> {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch (error) {
    return {
      dialect: 'legacy',
      body: failure(
        'legacy',
        undefined,
        new RpcError('invalid-json', 'the request is not JSON', { cause: error }),
      ),
    };
  }
  return handleRpcRequest(backend, request);
}

/** Answers one parsed request; never throws. */
export async function handleRpcRequest(backend: RpcBackend, request: unknown): Promise<RpcReply> {
  const isObject = typeof request === 'object' && request !== null && !Array.isArray(request);
  const record = (isObject ? request : {}) as Record<string, unknown>;
  const dialect: Dialect = 'jsonrpc' in record ? 'json-rpc' : 'legacy';
  const tag = dialect === 'json-rpc' ? record.id : record.tag;
  const notification = dialect === 'json-rpc' && !('id' in record);
  try {
    if (!isObject) throw new RpcError('invalid-request', 'the request must be a JSON object');
    if (dialect === 'json-rpc' && record.jsonrpc !== '2.0')
      throw new RpcError('invalid-request', '"jsonrpc" must be "2.0"');
    if (typeof record.method !== 'string')
      throw new RpcError('invalid-request', 'the request has no "method" string');
    const rawArgs = dialect === 'json-rpc' ? record.params : record.arguments;
    if (
      rawArgs !== undefined &&
      (typeof rawArgs !== 'object' || rawArgs === null || Array.isArray(rawArgs))
    )
      throw new RpcError(
        'invalid-request',
        `"${dialect === 'json-rpc' ? 'params' : 'arguments'}" must be an object`,
      );
    const method = toSnake(record.method);
    const handler = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    if (!handler) throw new RpcError('unknown-method', 'method name not recognized');
    const result = await handler(backend, {
      dialect,
      method,
      args: snakeArguments((rawArgs ?? {}) as Arguments),
    });
    if (notification) return { dialect, body: undefined };
    return {
      dialect,
      body:
        dialect === 'json-rpc'
          ? { jsonrpc: '2.0', result, id: tag ?? null }
          : { result: 'success', arguments: result, ...(tag === undefined ? {} : { tag }) },
    };
  } catch (error) {
    if (notification) return { dialect, body: undefined };
    return { dialect, body: failure(dialect, tag, error) };
  }
}

function failure(dialect: Dialect, tag: unknown, error: unknown): Record<string, unknown> {
  const rpcError = RpcError.isInstance(error)
    ? error
    : new RpcError('backend-failed', error instanceof Error ? error.message : String(error), {
        cause: error,
      });
  if (dialect === 'json-rpc') {
    return {
      jsonrpc: '2.0',
      error: {
        code: rpcError.jsonRpcCode,
        message: rpcError.message,
        data: { error_string: rpcError.message, code: rpcError.code },
      },
      id: tag ?? null,
    };
  }
  return { result: rpcError.message, arguments: {}, ...(tag === undefined ? {} : { tag }) };
}

// Torrents ---------------------------------------------------------------------------------

const torrentGet: Handler = async (backend, { dialect, args }) => {
  const requested = stringListArgument(args, 'fields');
  if (!requested)
    throw new RpcError('invalid-argument', 'torrent-get needs "fields"', { argument: 'fields' });
  const format = stringArgument(args, 'format') ?? 'objects';
  if (format !== 'objects' && format !== 'table')
    throw new RpcError('invalid-argument', '"format" must be "objects" or "table"', {
      argument: 'format',
    });
  // unknown field names are ignored, as Transmission does; each known one answers under the
  // spelling the client asked for
  const names: string[] = [];
  const fields: TorrentField[] = [];
  for (const name of requested) {
    const snake = toSnake(name);
    if (!TORRENT_FIELD_SET.has(snake) || fields.includes(snake as TorrentField)) continue;
    fields.push(snake as TorrentField);
    names.push(dialect === 'legacy' ? name : snake);
  }
  const selector = selectorArgument(args);
  const ids = backend.resolve(selector);
  const rows = backend.torrentFields(ids, fields);
  // nested objects (files, trackers, peers ...) are renamed; plain values are copied as they are
  // (each key's spelling worked out once per call: thousands of rows repeat a few keys)
  const legacy = dialect === 'legacy';
  const spellings = new Map<string, string>();
  const spell = (key: string): string => {
    let spelled = spellings.get(key);
    if (spelled === undefined) spellings.set(key, (spelled = toLegacyTorrentKey(key)));
    return spelled;
  };
  const value = (item: unknown): unknown =>
    legacy && item !== null && typeof item === 'object' ? renameKeys(item, spell) : item;
  const torrents =
    format === 'table'
      ? [names, ...rows.map((row) => row.map(value))]
      : rows.map((row) => {
          const out: Record<string, unknown> = {};
          for (let index = 0; index < names.length; index++) out[names[index]!] = value(row[index]);
          return out;
        });
  return selector.kind === 'recently-active'
    ? { torrents, removed: backend.recentlyRemoved() }
    : { torrents };
};

function bytesArgument(args: Arguments, key: string): Uint8Array | undefined {
  const text = stringArgument(args, key);
  if (text === undefined) return undefined;
  const clean = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1)
    throw new RpcError('invalid-argument', `"${key}" must be base64`, { argument: key });
  const binary = atob(clean.padEnd(Math.ceil(clean.length / 4) * 4, '='));
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

const torrentAdd: Handler = async (backend, { dialect, args }) => {
  const input: TorrentAddInput = {
    filename: stringArgument(args, 'filename'),
    metainfo: bytesArgument(args, 'metainfo'),
    download_dir: stringArgument(args, 'download_dir'),
    paused: booleanArgument(args, 'paused'),
    labels: stringListArgument(args, 'labels'),
    peer_limit: numberArgument(args, 'peer_limit'),
    bandwidth_priority: numberArgument(args, 'bandwidth_priority'),
    files_wanted: indexListArgument(args, 'files_wanted'),
    files_unwanted: indexListArgument(args, 'files_unwanted'),
    priority_high: indexListArgument(args, 'priority_high'),
    priority_low: indexListArgument(args, 'priority_low'),
    priority_normal: indexListArgument(args, 'priority_normal'),
    cookies: stringArgument(args, 'cookies'),
  };
  if (input.filename === undefined && input.metainfo === undefined)
    throw new RpcError('invalid-argument', 'no filename or metainfo specified');
  const result = await backend.torrentAdd(input);
  const key = result.duplicate ? 'torrent_duplicate' : 'torrent_added';
  const torrent = { id: result.id, name: result.name, hash_string: result.hash_string };
  return dialect === 'legacy'
    ? { [key.replace('_', '-')]: renameKeys(torrent, toLegacyTorrentKey) }
    : { [key]: torrent };
};

function action(name: TorrentAction): Handler {
  return async (backend, { args }) => {
    await backend.torrentAction(name, backend.resolve(selectorArgument(args)));
    return {};
  };
}

const torrentSet: Handler = async (backend, { args }) => {
  const replace = args.tracker_replace;
  let trackerReplace: [number, string][] | undefined;
  if (replace !== undefined) {
    if (!Array.isArray(replace) || replace.length % 2 !== 0)
      throw new RpcError('invalid-argument', '"trackerReplace" must be pairs of id and URL', {
        argument: 'tracker_replace',
      });
    trackerReplace = [];
    for (let index = 0; index < replace.length; index += 2) {
      const id: unknown = replace[index];
      const url: unknown = replace[index + 1];
      if (typeof id !== 'number' || typeof url !== 'string')
        throw new RpcError('invalid-argument', '"trackerReplace" must be pairs of id and URL', {
          argument: 'tracker_replace',
        });
      trackerReplace.push([id, url]);
    }
  }
  const changes: TorrentSetChanges = {
    bandwidth_priority: numberArgument(args, 'bandwidth_priority'),
    download_limit: numberArgument(args, 'download_limit'),
    download_limited: booleanArgument(args, 'download_limited'),
    upload_limit: numberArgument(args, 'upload_limit'),
    upload_limited: booleanArgument(args, 'upload_limited'),
    honors_session_limits: booleanArgument(args, 'honors_session_limits'),
    files_wanted: indexListArgument(args, 'files_wanted'),
    files_unwanted: indexListArgument(args, 'files_unwanted'),
    priority_high: indexListArgument(args, 'priority_high'),
    priority_low: indexListArgument(args, 'priority_low'),
    priority_normal: indexListArgument(args, 'priority_normal'),
    group: stringArgument(args, 'group'),
    labels: stringListArgument(args, 'labels'),
    location: stringArgument(args, 'location'),
    peer_limit: numberArgument(args, 'peer_limit'),
    queue_position: numberArgument(args, 'queue_position'),
    seed_idle_limit: numberArgument(args, 'seed_idle_limit'),
    seed_idle_mode: numberArgument(args, 'seed_idle_mode'),
    seed_ratio_limit: numberArgument(args, 'seed_ratio_limit'),
    seed_ratio_mode: numberArgument(args, 'seed_ratio_mode'),
    sequential_download: booleanArgument(args, 'sequential_download'),
    tracker_add: stringListArgument(args, 'tracker_add'),
    tracker_remove: indexListArgument(args, 'tracker_remove'),
    tracker_replace: trackerReplace,
    tracker_list: stringArgument(args, 'tracker_list'),
  };
  for (const key of Object.keys(changes) as (keyof TorrentSetChanges)[])
    if (changes[key] === undefined) delete changes[key];
  await backend.torrentSet(backend.resolve(selectorArgument(args)), changes);
  return {};
};

const torrentRemove: Handler = async (backend, { args }) => {
  await backend.torrentRemove(
    backend.resolve(selectorArgument(args)),
    booleanArgument(args, 'delete_local_data') ?? false,
  );
  return {};
};

const torrentSetLocation: Handler = async (backend, { args }) => {
  const location = stringArgument(args, 'location');
  if (location === undefined)
    throw new RpcError('invalid-argument', 'torrent-set-location needs "location"', {
      argument: 'location',
    });
  await backend.torrentSetLocation(
    backend.resolve(selectorArgument(args)),
    location,
    booleanArgument(args, 'move') ?? false,
  );
  return {};
};

const torrentRenamePath: Handler = async (backend, { args }) => {
  const ids = backend.resolve(selectorArgument(args));
  const path = stringArgument(args, 'path');
  const name = stringArgument(args, 'name');
  if (ids.length !== 1)
    throw new RpcError('invalid-argument', 'torrent-rename-path requires 1 torrent', {
      argument: 'ids',
    });
  if (path === undefined || name === undefined)
    throw new RpcError('invalid-argument', 'torrent-rename-path needs "path" and "name"');
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\\'))
    throw new RpcError('invalid-argument', `"${name}" is not a valid name`, { argument: 'name' });
  return backend.torrentRenamePath(ids[0]!, path, name);
};

// Session ----------------------------------------------------------------------------------

const sessionGet: Handler = async (backend, { dialect, args }) => {
  const all = backend.sessionGet();
  const requested = stringListArgument(args, 'fields');
  const wanted = requested ? new Set(requested.map(toSnake)) : undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) {
    if (wanted && !wanted.has(key)) continue;
    if (dialect === 'json-rpc') out[key] = value;
    else out[toLegacySessionKey(key)] = renameKeys(value, toLegacySessionKey);
  }
  return out;
};

const sessionSet: Handler = async (backend, { args }) => {
  await backend.sessionSet(args);
  return {};
};

const sessionStats: Handler = async (backend, { dialect }) => {
  const stats = backend.sessionStats();
  if (dialect === 'json-rpc') return { ...stats };
  const camel = (key: string): string => toLegacyTorrentKey(key);
  return {
    activeTorrentCount: stats.active_torrent_count,
    downloadSpeed: stats.download_speed,
    pausedTorrentCount: stats.paused_torrent_count,
    torrentCount: stats.torrent_count,
    uploadSpeed: stats.upload_speed,
    'cumulative-stats': renameKeys(stats.cumulative_stats, camel),
    'current-stats': renameKeys(stats.current_stats, camel),
  };
};

const sessionClose: Handler = async (backend) => {
  backend.sessionClose();
  return {};
};

const freeSpace: Handler = async (backend, { dialect, args }) => {
  const path = stringArgument(args, 'path');
  if (path === undefined)
    throw new RpcError('invalid-argument', 'free-space needs "path"', { argument: 'path' });
  const space = await backend.freeSpace(path);
  return dialect === 'legacy'
    ? { path, 'size-bytes': space.size_bytes, total_size: space.total_size }
    : { path, ...space };
};

const portTest: Handler = async (backend, { dialect, args }) => {
  const protocol = stringArgument(args, 'ip_protocol');
  if (protocol !== undefined && protocol !== 'ipv4' && protocol !== 'ipv6')
    throw new RpcError('invalid-argument', '"ipProtocol" must be "ipv4" or "ipv6"', {
      argument: 'ip_protocol',
    });
  const result = await backend.portTest(protocol);
  if (dialect === 'json-rpc') return { ...result };
  return {
    'port-is-open': result.port_is_open,
    ...(result.ip_protocol === undefined ? {} : { ipProtocol: result.ip_protocol }),
  };
};

const blocklistUpdate: Handler = async (backend, { dialect }) => {
  const size = await backend.blocklistUpdate();
  return dialect === 'legacy' ? { 'blocklist-size': size } : { blocklist_size: size };
};

function queueMove(move: 'top' | 'up' | 'down' | 'bottom'): Handler {
  return async (backend, { args }) => {
    backend.queueMove(move, backend.resolve(selectorArgument(args)));
    return {};
  };
}

const groupGet: Handler = async (backend, { dialect, args }) => {
  const value = args.group;
  let names: string[] | undefined;
  if (typeof value === 'string') names = [value];
  else if (value !== undefined) names = stringListArgument(args, 'group');
  const groups = backend.groupGet(names);
  if (dialect === 'json-rpc') return { group: groups };
  return {
    group: groups.map((group) => ({
      honorsSessionLimits: group.honors_session_limits,
      name: group.name,
      'speed-limit-down-enabled': group.speed_limit_down_enabled,
      'speed-limit-down': group.speed_limit_down,
      'speed-limit-up-enabled': group.speed_limit_up_enabled,
      'speed-limit-up': group.speed_limit_up,
    })),
  };
};

const groupSet: Handler = async (backend, { args }) => {
  const name = stringArgument(args, 'name');
  if (name === undefined)
    throw new RpcError('invalid-argument', 'group-set needs "name"', { argument: 'name' });
  const group: Parameters<RpcBackend['groupSet']>[0] = { name };
  const honors = booleanArgument(args, 'honors_session_limits');
  if (honors !== undefined) group.honors_session_limits = honors;
  const downEnabled = booleanArgument(args, 'speed_limit_down_enabled');
  if (downEnabled !== undefined) group.speed_limit_down_enabled = downEnabled;
  const down = numberArgument(args, 'speed_limit_down');
  if (down !== undefined) group.speed_limit_down = down;
  const upEnabled = booleanArgument(args, 'speed_limit_up_enabled');
  if (upEnabled !== undefined) group.speed_limit_up_enabled = upEnabled;
  const up = numberArgument(args, 'speed_limit_up');
  if (up !== undefined) group.speed_limit_up = up;
  backend.groupSet(group);
  return {};
};

/** Every method of the spec, by its snake_case name. */
const METHODS: Record<string, Handler> = {
  torrent_get: torrentGet,
  torrent_add: torrentAdd,
  torrent_start: action('start'),
  torrent_start_now: action('start_now'),
  torrent_stop: action('stop'),
  torrent_verify: action('verify'),
  torrent_reannounce: action('reannounce'),
  torrent_set: torrentSet,
  torrent_remove: torrentRemove,
  torrent_set_location: torrentSetLocation,
  torrent_rename_path: torrentRenamePath,
  session_get: sessionGet,
  session_set: sessionSet,
  session_stats: sessionStats,
  session_close: sessionClose,
  free_space: freeSpace,
  port_test: portTest,
  blocklist_update: blocklistUpdate,
  queue_move_top: queueMove('top'),
  queue_move_up: queueMove('up'),
  queue_move_down: queueMove('down'),
  queue_move_bottom: queueMove('bottom'),
  group_get: groupGet,
  group_set: groupSet,
};

/** The methods the table answers (snake_case). */
export const RPC_METHODS: readonly string[] = Object.keys(METHODS);
