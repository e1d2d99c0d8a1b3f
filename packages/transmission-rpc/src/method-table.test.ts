import { describe, expect, it } from 'vitest';
import type { RpcBackend, TorrentField, TorrentSelector } from './backend.js';
import { RpcError } from './errors.js';
import { handleRpcRequest, handleRpcText } from './method-table.js';

/** A backend over two fixed torrents that records what it was asked. */
function fakeBackend(): RpcBackend & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  const torrents = [
    {
      id: 1,
      hash_string: 'a'.repeat(40),
      name: 'one',
      percent_done: 0.5,
      file_stats: [{ bytes_completed: 5, wanted: true, priority: 0 }],
      peers: [{ is_utp: false, rate_to_client: 3 }],
    },
    { id: 2, hash_string: 'b'.repeat(40), name: 'two', percent_done: 1, file_stats: [], peers: [] },
  ];
  return {
    calls,
    resolve(selector: TorrentSelector) {
      calls.push(['resolve', selector]);
      if (selector.kind === 'all' || selector.kind === 'recently-active') return [1, 2];
      return torrents
        .filter((t) => selector.ids.includes(t.id) || selector.hashes.includes(t.hash_string))
        .map((t) => t.id);
    },
    recentlyRemoved: () => [7],
    torrentFields(ids: readonly number[], fields: readonly TorrentField[]) {
      calls.push(['fields', ids, fields]);
      return ids.map((id) => {
        const t = torrents.find((item) => item.id === id)! as Record<string, unknown>;
        return fields.map((field) => t[field]);
      });
    },
    async torrentAdd(input) {
      calls.push(['add', input]);
      return {
        duplicate: input.filename === 'dup',
        id: 3,
        name: 'three',
        hash_string: 'c'.repeat(40),
      };
    },
    async torrentAction(action, ids) {
      calls.push(['action', action, ids]);
    },
    async torrentSet(ids, changes) {
      calls.push(['set', ids, changes]);
    },
    async torrentRemove(ids, deleteData) {
      calls.push(['remove', ids, deleteData]);
    },
    async torrentSetLocation(ids, location, move) {
      calls.push(['location', ids, location, move]);
    },
    async torrentRenamePath(id, path, name) {
      return { id, path, name };
    },
    sessionGet: () => ({
      download_dir: '/d',
      seed_ratio_limit: 2,
      rpc_version: 18,
      units: { speed_bytes: 1000 },
    }),
    async sessionSet(changes) {
      calls.push(['session-set', changes]);
    },
    sessionStats: () => ({
      active_torrent_count: 1,
      download_speed: 2,
      paused_torrent_count: 0,
      torrent_count: 2,
      upload_speed: 3,
      cumulative_stats: {
        uploaded_bytes: 1,
        downloaded_bytes: 2,
        files_added: 3,
        session_count: 4,
        seconds_active: 5,
      },
      current_stats: {
        uploaded_bytes: 1,
        downloaded_bytes: 2,
        files_added: 3,
        session_count: 1,
        seconds_active: 5,
      },
    }),
    sessionClose() {
      calls.push(['close']);
    },
    freeSpace: async () => ({ size_bytes: 10, total_size: 20 }),
    portTest: async () => ({ port_is_open: true, ip_protocol: 'ipv4' }),
    blocklistUpdate: async () => {
      throw new RpcError('unsupported', 'no blocklist');
    },
    queueMove(move, ids) {
      calls.push(['queue', move, ids]);
    },
    groupGet: () => [],
    groupSet() {},
  };
}

describe('legacy dialect', () => {
  it('answers torrent-get under the names asked for, nested keys in camelCase, echoing the tag', async () => {
    const backend = fakeBackend();
    const reply = await handleRpcRequest(backend, {
      method: 'torrent-get',
      arguments: {
        fields: ['id', 'hashString', 'percentDone', 'fileStats', 'peers', 'noSuchField'],
        ids: [2, 'A'.repeat(40)],
      },
      tag: 42,
    });
    expect(reply.body).toEqual({
      result: 'success',
      tag: 42,
      arguments: {
        torrents: [
          {
            id: 1,
            hashString: 'a'.repeat(40),
            percentDone: 0.5,
            fileStats: [{ bytesCompleted: 5, wanted: true, priority: 0 }],
            peers: [{ isUTP: false, rateToClient: 3 }],
          },
          { id: 2, hashString: 'b'.repeat(40), percentDone: 1, fileStats: [], peers: [] },
        ],
      },
    });
    expect(backend.calls[0]).toEqual([
      'resolve',
      { kind: 'list', ids: [2], hashes: ['a'.repeat(40)] },
    ]);
  });

  it('answers format "table" with a header row, and recently-active with removed ids', async () => {
    const reply = await handleRpcRequest(fakeBackend(), {
      method: 'torrent-get',
      arguments: { fields: ['id', 'name'], format: 'table', ids: 'recently-active' },
    });
    expect(reply.body!.arguments).toEqual({
      torrents: [
        ['id', 'name'],
        [1, 'one'],
        [2, 'two'],
      ],
      removed: [7],
    });
  });

  it('spells session keys in kebab-case with the two camelCase exceptions, and filters by fields', async () => {
    const all = await handleRpcRequest(fakeBackend(), { method: 'session-get' });
    expect(all.body!.arguments).toEqual({
      'download-dir': '/d',
      seedRatioLimit: 2,
      'rpc-version': 18,
      units: { 'speed-bytes': 1000 },
    });
    const some = await handleRpcRequest(fakeBackend(), {
      method: 'session-get',
      arguments: { fields: ['rpc-version'] },
    });
    expect(some.body!.arguments).toEqual({ 'rpc-version': 18 });
  });

  it('answers session-stats in its legacy shape', async () => {
    const reply = await handleRpcRequest(fakeBackend(), { method: 'session-stats' });
    expect(reply.body!.arguments).toMatchObject({
      activeTorrentCount: 1,
      torrentCount: 2,
      'cumulative-stats': { uploadedBytes: 1, sessionCount: 4, secondsActive: 5 },
      'current-stats': { filesAdded: 3 },
    });
  });

  it("folds kebab and camel argument names to the table's", async () => {
    const backend = fakeBackend();
    await handleRpcRequest(backend, {
      method: 'torrent-remove',
      arguments: { ids: 1, 'delete-local-data': true },
    });
    await handleRpcRequest(backend, {
      method: 'torrent-set',
      arguments: {
        ids: [1],
        downloadLimit: 5,
        downloadLimited: true,
        'peer-limit': 9,
        trackerAdd: ['http://x/announce'],
      },
    });
    await handleRpcRequest(backend, {
      method: 'torrent-set-location',
      arguments: { ids: [2], location: '/x', move: true },
    });
    expect(backend.calls).toContainEqual(['remove', [1], true]);
    expect(backend.calls).toContainEqual([
      'set',
      [1],
      {
        download_limit: 5,
        download_limited: true,
        peer_limit: 9,
        tracker_add: ['http://x/announce'],
      },
    ]);
    expect(backend.calls).toContainEqual(['location', [2], '/x', true]);
  });

  it('returns torrent-added or torrent-duplicate with camelCase keys; metainfo is base64', async () => {
    const backend = fakeBackend();
    const added = await handleRpcRequest(backend, {
      method: 'torrent-add',
      arguments: { metainfo: btoa('abc') },
    });
    expect(added.body!.arguments).toEqual({
      'torrent-added': { id: 3, name: 'three', hashString: 'c'.repeat(40) },
    });
    expect(
      (backend.calls.find((call) => call[0] === 'add')![1] as { metainfo: Uint8Array }).metainfo,
    ).toEqual(new TextEncoder().encode('abc'));
    const duplicate = await handleRpcRequest(backend, {
      method: 'torrent-add',
      arguments: { filename: 'dup' },
    });
    expect(duplicate.body!.arguments).toHaveProperty('torrent-duplicate');
  });

  it('reports failures as a result string with HTTP-level success', async () => {
    const backend = fakeBackend();
    const cases: [unknown, RegExp][] = [
      [{ method: 'no-such-method', tag: 1 }, /method name not recognized/],
      [{ method: 'torrent-get', arguments: {} }, /fields/],
      [
        { method: 'torrent-get', arguments: { fields: 'id' } },
        /"fields" must be an array of strings/,
      ],
      [{ method: 'torrent-start', arguments: { ids: [{}] } }, /neither a torrent id nor/],
      [{ method: 'torrent-add', arguments: {} }, /no filename or metainfo/],
      [{ method: 'torrent-add', arguments: { metainfo: '%%%' } }, /base64/],
      [{ method: 'blocklist-update' }, /no blocklist/],
      [
        { method: 'torrent-rename-path', arguments: { ids: [1], path: 'one', name: '../x' } },
        /not a valid name/,
      ],
      [{ arguments: {} }, /no "method"/],
      [[1, 2], /JSON object/],
      [{ method: 'session-set', arguments: 'x' }, /must be an object/],
    ];
    for (const [request, message] of cases) {
      const reply = await handleRpcRequest(backend, request);
      expect(reply.dialect).toBe('legacy');
      expect(reply.body!.result).toMatch(message);
    }
    expect((await handleRpcRequest(backend, { method: 'x', tag: 9 })).body!.tag).toBe(9);
  });

  it('says so when the body is not JSON', async () => {
    const reply = await handleRpcText(fakeBackend(), '{"method": ');
    expect(reply.body).toEqual({ result: 'the request is not JSON', arguments: {} });
  });
});

describe('JSON-RPC 2.0 dialect', () => {
  it('answers with result and id, keys in snake_case', async () => {
    const reply = await handleRpcRequest(fakeBackend(), {
      jsonrpc: '2.0',
      method: 'torrent_get',
      params: { fields: ['id', 'hash_string', 'file_stats'], ids: [1] },
      id: 'x1',
    });
    expect(reply).toEqual({
      dialect: 'json-rpc',
      body: {
        jsonrpc: '2.0',
        id: 'x1',
        result: {
          torrents: [
            {
              id: 1,
              hash_string: 'a'.repeat(40),
              file_stats: [{ bytes_completed: 5, wanted: true, priority: 0 }],
            },
          ],
        },
      },
    });
  });

  it('answers errors with JSON-RPC codes, and nothing to a notification', async () => {
    const unknown = await handleRpcRequest(fakeBackend(), {
      jsonrpc: '2.0',
      method: 'nope',
      id: 1,
    });
    expect(unknown.body).toMatchObject({ jsonrpc: '2.0', id: 1, error: { code: -32601 } });
    const badParams = await handleRpcRequest(fakeBackend(), {
      jsonrpc: '2.0',
      method: 'torrent_get',
      params: { fields: 3 },
      id: 2,
    });
    expect(badParams.body).toMatchObject({ error: { code: -32602 } });
    const version = await handleRpcRequest(fakeBackend(), {
      jsonrpc: '1.0',
      method: 'session_get',
      id: 3,
    });
    expect(version.body).toMatchObject({ error: { code: -32600 } });
    const backend = fakeBackend();
    const notification = await handleRpcRequest(backend, {
      jsonrpc: '2.0',
      method: 'torrent_stop',
      params: { ids: [1] },
    });
    expect(notification.body).toBeUndefined();
    expect(backend.calls).toContainEqual(['action', 'stop', [1]]);
  });

  it('answers session_stats, free_space and port_test in snake_case', async () => {
    const stats = await handleRpcRequest(fakeBackend(), {
      jsonrpc: '2.0',
      method: 'session_stats',
      id: 1,
    });
    expect(stats.body!.result).toMatchObject({
      torrent_count: 2,
      cumulative_stats: { session_count: 4 },
    });
    const space = await handleRpcRequest(fakeBackend(), {
      jsonrpc: '2.0',
      method: 'free_space',
      params: { path: '/' },
      id: 2,
    });
    expect(space.body!.result).toEqual({ path: '/', size_bytes: 10, total_size: 20 });
    const port = await handleRpcRequest(fakeBackend(), {
      jsonrpc: '2.0',
      method: 'port_test',
      id: 3,
    });
    expect(port.body!.result).toEqual({ port_is_open: true, ip_protocol: 'ipv4' });
  });
});
