/**
 * `bt dht`: run a DHT node, look up peers, get and put BEP 44 items, sample info-hashes. Parses
 * and renders only; the DHT is `@bt/dht`.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Dht, DhtError, createDht, generateKeyPair, keyPairFromSecretKey } from '@bt/dht/node';
import { formatPeerAddress, fromHex, toHex } from '@bt/primitives';
import {
  booleanOption,
  type Command,
  type CommandContext,
  CommandError,
  ExitCode,
  integerOption,
  stringListOption,
  stringOption,
  UsageError,
} from '../command.js';
import { readTarget } from '../tracker-clients.js';
import { printable } from '../ui/format.js';

const SUBCOMMANDS = ['node', 'peers', 'get', 'put', 'sample'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/**
 * One-shot commands (peers, get, put, sample) run read-only (BEP 43): a node that is gone a few
 * seconds later should not enter other nodes' tables. `bt dht node` answers unless --read-only.
 */
function open(
  context: CommandContext,
  defaults: { port: number; readOnly?: boolean },
): Promise<Dht> {
  const bootstrap = stringListOption(context, 'bootstrap');
  const state = stringOption(context, 'state');
  const host = stringOption(context, 'host');
  return createDht({
    port: integerOption(context, 'port', { min: 0, max: 65535 }) ?? defaults.port,
    ...(host ? { host } : {}),
    ...(bootstrap.length > 0 ? { bootstrap } : {}),
    ...(state ? { state: resolve(context.cwd, state) } : {}),
    readOnly: defaults.readOnly ?? booleanOption(context, 'read-only'),
  }).catch((error: unknown) => {
    throw new CommandError('invalid-input', `cannot start a DHT node: ${describe(error)}`, {
      cause: error,
    });
  });
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** The operation's signal: Ctrl-C, or `--timeout` seconds. */
function deadline(context: CommandContext, fallbackSeconds: number): AbortSignal {
  const seconds = integerOption(context, 'timeout', { min: 1, max: 86_400 }) ?? fallbackSeconds;
  return AbortSignal.any([context.signal, AbortSignal.timeout(seconds * 1000)]);
}

/** Whether an error is the `--timeout` running out (the end of the job, not a failure). */
function timedOut(context: CommandContext, error: unknown): boolean {
  return !context.signal.aborted && DhtError.isInstance(error) && error.code === 'aborted';
}

function parseHash(text: string, what: string): Uint8Array {
  if (!/^[0-9a-fA-F]{40}$/.test(text)) throw new UsageError(`${what} is 40 hex digits`);
  return fromHex(text);
}

/** An item's value for a terminal: a bencoded string as its text, anything else as bencode. */
function showValue(value: Uint8Array): string {
  const raw = Buffer.from(value);
  const header = /^(\d+):/.exec(raw.subarray(0, 8).toString('latin1'));
  const shown =
    header && header[1]!.length + 1 + Number(header[1]) === raw.length
      ? raw.subarray(header[1]!.length + 1)
      : raw;
  const text = shown.toString('utf8');
  return /^[\x20-\x7e]*$/.test(text) ? text : `hex ${toHex(shown)}`;
}

async function runNode(context: CommandContext, json: boolean): Promise<number> {
  const dht = await open(context, { port: 6881 });
  const interval = (integerOption(context, 'interval', { min: 1, max: 3600 }) ?? 5) * 1000;
  const address = dht.address();
  if (json) {
    context.stdout.write(
      `${JSON.stringify({ event: 'node-started', id: toHex(dht.id), address: formatPeerAddress(address) })}\n`,
    );
  } else {
    context.stdout.write(
      `DHT node ${toHex(dht.id)} on ${formatPeerAddress(address)}; Ctrl-C stops it\n`,
    );
  }
  const report = (): void => {
    const stats = dht.stats();
    const table = stats.tables[0]!.table;
    if (json) {
      context.stdout.write(
        `${JSON.stringify({
          event: 'node-status',
          nodes: table.nodes,
          good: table.good,
          questionable: table.questionable,
          queriesInPerSecond: stats.queriesInPerSecond,
          queriesOutPerSecond: stats.queriesOutPerSecond,
          storedPeers: stats.storedPeers,
          storedInfoHashes: stats.storedInfoHashes,
          storedItems: stats.storedItems,
          externalAddress: stats.externalAddress ? formatPeerAddress(stats.externalAddress) : null,
        })}\n`,
      );
    } else {
      context.stdout.write(
        `nodes ${table.nodes} (${table.good} good), queries ${stats.queriesInPerSecond.toFixed(1)}/s in, ` +
          `${stats.queriesOutPerSecond.toFixed(1)}/s out, stored peers ${stats.storedPeers} ` +
          `(${stats.storedInfoHashes} torrents), items ${stats.storedItems}\n`,
      );
    }
  };
  const timer = setInterval(report, interval);
  try {
    await new Promise<void>((done) => {
      if (context.signal.aborted) done();
      else context.signal.addEventListener('abort', () => done(), { once: true });
    });
  } finally {
    clearInterval(timer);
    await dht.close();
  }
  return ExitCode.ok;
}

async function runPeers(context: CommandContext, json: boolean): Promise<number> {
  const input = context.positionals[1];
  if (!input) throw new UsageError('bt dht peers needs an info-hash or magnet link');
  const target = await readTarget(input, context.cwd);
  const announcePort = integerOption(context, 'announce', { min: 1, max: 65535 });
  const signal = deadline(context, 30);
  const dht = await open(context, { port: 0, readOnly: true });
  const started = performance.now();
  const queriesBefore = dht.stats().queriesOut;
  const found: string[] = [];
  const print = (peer: string): void => {
    found.push(peer);
    context.stdout.write(json ? `${JSON.stringify({ event: 'peer-found', peer })}\n` : `${peer}\n`);
  };
  let acknowledged: number | undefined;
  try {
    if (announcePort !== undefined) {
      const result = await dht.announce(target.infoHash, { port: announcePort, signal });
      for (const peer of result.peers) print(formatPeerAddress(peer));
      acknowledged = result.acknowledged;
    } else {
      for await (const peer of dht.lookup(target.infoHash, { signal }))
        print(formatPeerAddress(peer));
    }
  } catch (error) {
    if (!timedOut(context, error)) throw error;
  } finally {
    const queries = dht.stats().queriesOut - queriesBefore;
    const seconds = (performance.now() - started) / 1000;
    await dht.close();
    if (json) {
      context.stdout.write(
        `${JSON.stringify({
          event: 'lookup-done',
          infoHash: target.infoHashHex,
          peers: found.length,
          queries,
          seconds,
          ...(acknowledged === undefined ? {} : { announcedTo: acknowledged }),
        })}\n`,
      );
    } else {
      context.stderr.write(
        `${found.length} peer(s), ${queries} queries, ${seconds.toFixed(2)} s` +
          (acknowledged === undefined ? '' : `, announced to ${acknowledged} node(s)`) +
          '\n',
      );
    }
  }
  return found.length > 0 ? ExitCode.ok : ExitCode.negative;
}

async function runGet(context: CommandContext, json: boolean): Promise<number> {
  const text = context.positionals[1];
  if (!text) throw new UsageError('bt dht get needs a target (40 hex digits)');
  const targetHash = parseHash(text, 'the target');
  const salt = stringOption(context, 'salt');
  const signal = deadline(context, 30);
  const dht = await open(context, { port: 0, readOnly: true });
  let item;
  try {
    item = await dht.get(targetHash, { signal, ...(salt ? { salt: Buffer.from(salt) } : {}) });
  } catch (error) {
    if (!timedOut(context, error)) throw error;
  } finally {
    await dht.close();
  }
  if (json) {
    context.stdout.write(
      `${JSON.stringify(
        item
          ? {
              target: text.toLowerCase(),
              value: toHex(item.value),
              ...(item.seq === undefined ? {} : { seq: item.seq }),
              ...(item.key ? { key: toHex(item.key) } : {}),
            }
          : { target: text.toLowerCase(), value: null },
      )}\n`,
    );
  } else if (item) {
    context.stdout.write(
      `${printable(showValue(item.value))}${item.seq === undefined ? '' : `  (seq ${item.seq})`}\n`,
    );
  } else {
    context.stderr.write('no item found under that target\n');
  }
  return item ? ExitCode.ok : ExitCode.negative;
}

async function readKeyFile(path: string): Promise<Uint8Array> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    if (!/^[0-9a-fA-F]{64}$/.test(text)) {
      throw new CommandError(
        'invalid-input',
        `${path} is not a key file (64 hex digits of an ed25519 secret key)`,
      );
    }
    return fromHex(text);
  } catch (error) {
    if (error instanceof CommandError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CommandError('unreadable-input', `cannot read ${path}`, { cause: error });
    }
    // No key yet: make one, readable by its owner only.
    const { secretKey } = generateKeyPair();
    await writeFile(path, `${toHex(secretKey)}\n`, { mode: 0o600, flag: 'wx' });
    return secretKey;
  }
}

async function runPut(context: CommandContext, json: boolean): Promise<number> {
  const value = context.positionals[1];
  if (value === undefined) throw new UsageError('bt dht put needs a value');
  const keyFile = stringOption(context, 'key');
  const salt = stringOption(context, 'salt');
  const seq = integerOption(context, 'seq', { min: 0, max: Number.MAX_SAFE_INTEGER });
  if (!keyFile && (salt !== undefined || seq !== undefined)) {
    throw new UsageError('--salt and --seq are for mutable items: give --key FILE too');
  }
  if (Buffer.byteLength(value) > 990) throw new UsageError('a DHT item holds at most 1000 bytes');
  const keyPair = keyFile
    ? keyPairFromSecretKey(await readKeyFile(resolve(context.cwd, keyFile)))
    : undefined;
  const signal = deadline(context, 60);
  const dht = await open(context, { port: 0, readOnly: true });
  let result;
  try {
    result = await dht.put(value, {
      signal,
      ...(keyPair ? { keyPair, seq: seq ?? Math.floor(Date.now() / 1000) } : {}),
      ...(salt ? { salt: Buffer.from(salt) } : {}),
    });
  } catch (error) {
    if (!timedOut(context, error)) throw error;
  } finally {
    await dht.close();
  }
  const stored = result?.stored ?? 0;
  if (json) {
    context.stdout.write(
      `${JSON.stringify({
        target: result ? toHex(result.target) : null,
        stored,
        ...(keyPair ? { key: toHex(keyPair.publicKey) } : {}),
      })}\n`,
    );
  } else if (result) {
    context.stdout.write(`${toHex(result.target)}\n`);
    context.stderr.write(
      `stored on ${stored} node(s)` +
        (keyPair ? `; public key ${toHex(keyPair.publicKey)}` : '') +
        '\n',
    );
  }
  return stored > 0 ? ExitCode.ok : ExitCode.negative;
}

async function runSample(context: CommandContext, json: boolean): Promise<number> {
  const targetText = stringOption(context, 'target');
  const target = targetText ? parseHash(targetText, '--target') : new Uint8Array(randomBytes(20));
  const signal = deadline(context, 30);
  const dht = await open(context, { port: 0, readOnly: true });
  let count = 0;
  try {
    for await (const sample of dht.sample({ target, signal })) {
      count++;
      const line = json
        ? JSON.stringify({
            event: 'info-hash-sampled',
            infoHash: toHex(sample.infoHash),
            from: formatPeerAddress(sample.from),
          })
        : `${toHex(sample.infoHash)}  from ${formatPeerAddress(sample.from)}`;
      context.stdout.write(`${line}\n`);
    }
  } catch (error) {
    if (!timedOut(context, error)) throw error;
  } finally {
    await dht.close();
  }
  if (!json) context.stderr.write(`${count} info-hash(es)\n`);
  return count > 0 ? ExitCode.ok : ExitCode.negative;
}

export const dhtCommand: Command = {
  name: 'dht',
  summary: 'run a DHT node, find peers, get and put items, sample info-hashes (BEP 5, 44, 51)',
  usage: 'bt dht <node | peers | get | put | sample> [options]',
  help: `The mainline DHT (BEP 5), without a torrent session.

  bt dht node [--port N] [--bootstrap HOST:PORT]... [--state FILE] [--read-only] [--json]
      runs a node until Ctrl-C (a bootstrap node for a private network, or a good citizen),
      with a status line every few seconds (--interval SECS, default 5); NDJSON with --json
  bt dht peers <info-hash | magnet> [--announce PORT] [--timeout SECS] [--json]
      one lookup: each peer as it is found, then the queries sent and the time taken;
      --announce also tells the closest nodes that PORT has the torrent
  bt dht get <target> [--salt S]
      a BEP 44 item by its target (40 hex digits); mutable items need the salt they were put with
  bt dht put <value> [--key FILE [--salt S] [--seq N]]
      stores a string; prints its target. Immutable without --key; with --key, a mutable item
      signed with the ed25519 secret key in FILE (64 hex digits; created when missing), seq
      default: the current Unix time
  bt dht sample [--target HEX]
      BEP 51: info-hashes that the nodes on the way to a target (default random) store

Options (all subcommands):
  --port N              UDP port (default 6881 for node, any free port otherwise)
  --host ADDRESS        address to bind (default 0.0.0.0: every IPv4 interface; a DHT node must
                        be reachable). An IPv6 address makes an IPv6 node
  --bootstrap HOST:PORT a node to join through; repeat for several. Default: the public routers
                        (router.bittorrent.com, dht.transmissionbt.com, router.utorrent.com,
                        dht.libtorrent.org)
  --state FILE          keep the node id and routing table in FILE across runs
  --read-only           BEP 43: ask, never answer (peers, get, put and sample always are:
                        a node that exits in seconds should not enter other nodes' tables)
  --timeout SECS        give up after this long (default 30; 60 for put)
  --json                machine-readable output

Exit codes: 0 found (or stored) something; 1 nothing found (or stored); 2 usage; 3 the node
could not start.

Examples:
  bt dht node --port 6881 --state ~/.bt/dht.state
  bt dht peers 0123456789abcdef0123456789abcdef01234567 --timeout 20
  bt dht node --host 127.0.0.1 --port 7000 --bootstrap 127.0.0.1:7001
  bt dht put 'hello' && bt dht get <the printed target>
  bt dht put 'v2' --key my.key --salt notes`,
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    bootstrap: { type: 'string', multiple: true },
    state: { type: 'string' },
    'read-only': { type: 'boolean' },
    json: { type: 'boolean' },
    announce: { type: 'string' },
    timeout: { type: 'string' },
    interval: { type: 'string' },
    key: { type: 'string' },
    salt: { type: 'string' },
    seq: { type: 'string' },
    target: { type: 'string' },
  },
  positionals: [1, 2],
  async run(context) {
    const subcommand = context.positionals[0] as Subcommand;
    if (!SUBCOMMANDS.includes(subcommand)) {
      throw new UsageError(
        `unknown dht subcommand ${JSON.stringify(context.positionals[0])}: use one of ${SUBCOMMANDS.join(', ')}`,
      );
    }
    const json = booleanOption(context, 'json');
    switch (subcommand) {
      case 'node':
        if (context.positionals.length > 1) throw new UsageError('bt dht node takes no argument');
        return runNode(context, json);
      case 'peers':
        return runPeers(context, json);
      case 'get':
        return runGet(context, json);
      case 'put':
        return runPut(context, json);
      case 'sample':
        if (context.positionals.length > 1) throw new UsageError('bt dht sample takes no argument');
        return runSample(context, json);
    }
  },
};
