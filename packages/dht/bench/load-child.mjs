// A load generator for the queries-per-CPU-second bench, in its own process (the bench runs
// several, so that the load does not hinge on one process's share of the CPU). The parent sends
// {op: 'load', port, seconds, mode, checkEvery}; the child keeps WINDOW queries in flight on
// each of its sockets for that long (ping, find_node, get_peers in turn; a new query for each
// answer, and for each query unanswered after LOST_AFTER_MS) and replies with what it counted.
//
// Answers (mode 'krpc'): each must answer a query in flight on that socket (its transaction id)
// and be a response (it ends in `1:y1:re`, as canonical bencode puts `y` last); every
// `checkEvery`-th is decoded and checked in full: a bencoded response, the server's 20-byte id
// the same in every answer, for find_node and get_peers 8 to 20 compact nodes, each a contact
// the server was given (id and port as the parent made them) or a load client, none twice, and
// get_peers with a token. An answer that fails counts as wrong, not as an answer. Mode 'echo':
// the datagram sent must come back unchanged.
import { createSocket } from 'node:dgram';
import { decode, encode } from '@bt/bencode';

const SOCKETS = 2;
const WINDOW = 32;
const LOST_AFTER_MS = 250;
const KINDS = ['ping', 'find_node', 'get_peers'];

const contacts = new Map(
  JSON.parse(process.argv[2]).map(({ id, port }) => [
    Buffer.from(id, 'hex').toString('latin1'),
    port,
  ]),
);
// The ids of all load clients (this one's first): a server may list them as nodes too.
const clientIds = JSON.parse(process.argv[3]).map((id) => Buffer.from(id, 'hex'));
const clientKeys = new Set(clientIds.map((id) => id.toString('latin1')));
const id = new Uint8Array(clientIds[0]);
const random = (n) => crypto.getRandomValues(new Uint8Array(n));
const targets = Array.from({ length: 256 }, () => random(20));
// Queries encoded once; each send copies one and writes its transaction id (2 bytes) in.
const templates = [];
for (let n = 0; n < 3 * targets.length; n++) {
  const t = Uint8Array.of(0, 0);
  const target = targets[n % targets.length];
  const a = n % 3 === 0 ? { id } : n % 3 === 1 ? { id, target } : { id, info_hash: target };
  const bytes = Buffer.from(encode({ t, y: 'q', q: KINDS[n % 3], a }));
  templates.push({ bytes, at: bytes.indexOf('1:t2:') + 5, kind: KINDS[n % 3] });
}

const sockets = [];
for (let i = 0; i < SOCKETS; i++) {
  const socket = createSocket('udp4');
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  sockets.push(socket);
}

let firstWrong;
/** Why `message` is not a right answer to `query` (a template), or undefined when it is. */
function check(message, query, state) {
  let answer;
  try {
    answer = decode(message);
  } catch {
    return 'not bencode';
  }
  if (!(answer instanceof Map)) return 'not a dictionary';
  const y = answer.get('y');
  if (!(y instanceof Uint8Array) || y.length !== 1 || y[0] !== 0x72) return 'not a response';
  const r = answer.get('r');
  if (!(r instanceof Map)) return 'no r';
  const serverId = r.get('id');
  if (!(serverId instanceof Uint8Array) || serverId.length !== 20) return 'bad id';
  const key = Buffer.from(serverId).toString('latin1');
  state.serverId ??= key;
  if (state.serverId !== key) return 'id changed';
  if (query.kind === 'ping') return undefined;
  // BEP 5: the closest nodes the server knows, 8 of them (bittorrent-dht: its k, 20). All 16
  // contacts were given to it, so at least 8; each must be a contact (its id and port as made)
  // or a load client, and none twice.
  const nodes = r.get('nodes');
  if (!(nodes instanceof Uint8Array) || nodes.length % 26 !== 0) return 'no compact nodes';
  if (nodes.length < 8 * 26 || nodes.length > 20 * 26) return `${nodes.length / 26} nodes`;
  const seen = new Set();
  for (let at = 0; at < nodes.length; at += 26) {
    const node = Buffer.from(nodes.subarray(at, at + 20)).toString('latin1');
    const port = (nodes[at + 24] << 8) | nodes[at + 25];
    if (contacts.get(node) !== port && !clientKeys.has(node)) return 'a node nobody made';
    if (nodes[at + 20] !== 127 || seen.has(node + port)) return 'bad node address or a node twice';
    seen.add(node + port);
  }
  if (query.kind === 'get_peers') {
    const token = r.get('token');
    if (!(token instanceof Uint8Array) || token.length === 0) return 'no token';
  }
  return undefined;
}

async function load({ port, seconds, mode, checkEvery }) {
  let checked = 0;
  let full = 0;
  let answers = 0;
  let wrong = 0;
  let lost = 0;
  let running = true;
  let counter = 0;
  const state = {};
  const inFlight = sockets.map(() => new Map());
  const send = (index) => {
    const n = counter++;
    const query = templates[n % templates.length];
    const tid = n & 0xffff;
    // A copy per send: a datagram Node could not send at once is sent from its buffer later.
    const bytes = Buffer.from(query.bytes);
    bytes[query.at] = tid >> 8;
    bytes[query.at + 1] = tid & 0xff;
    inFlight[index].set(tid, { query, sent: performance.now(), bytes });
    sockets[index].send(bytes, port, '127.0.0.1');
  };
  const handlers = sockets.map((socket, index) => {
    const handler = (message) => {
      // A query from the server (a ping to learn of us) is no answer.
      if (mode === 'krpc' && message.subarray(-7).toString('latin1') === '1:y1:qe') return;
      const at = message.indexOf('1:t2:');
      const tid = at < 0 ? -1 : (message[at + 5] << 8) | message[at + 6];
      const entry = inFlight[index].get(tid);
      if (entry === undefined) {
        // Not a query in flight (lost and replaced already, or a ping from the server).
        return;
      }
      inFlight[index].delete(tid);
      const why =
        mode === 'echo'
          ? entry.bytes.equals(message)
            ? undefined
            : 'echo differs'
          : ++checked % checkEvery === 0
            ? (full++, check(message, entry.query, state))
            : message.subarray(-7).toString('latin1') === '1:y1:re'
              ? undefined
              : 'not a response';
      if (why === undefined) answers++;
      else {
        wrong++;
        firstWrong ??= `${entry.query.kind}: ${why}`;
      }
      if (running) send(index);
    };
    socket.on('message', handler);
    return handler;
  });
  const sweep = setInterval(() => {
    const now = performance.now();
    sockets.forEach((_, index) => {
      for (const [tid, entry] of inFlight[index]) {
        if (now - entry.sent < LOST_AFTER_MS) continue;
        inFlight[index].delete(tid);
        lost++;
        if (running) send(index);
      }
    });
  }, 50);
  for (let index = 0; index < sockets.length; index++) for (let i = 0; i < WINDOW; i++) send(index);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  running = false;
  clearInterval(sweep);
  // Answers still on their way are not counted; let them arrive before the next load.
  await new Promise((resolve) => setTimeout(resolve, 100));
  sockets.forEach((socket, index) => socket.off('message', handlers[index]));
  return { answers, wrong, lost, full: mode === 'echo' ? answers : full, firstWrong };
}

process.on('message', async (message) => {
  if (message.op === 'load') process.send(await load(message));
  else if (message.op === 'exit') process.exit(0);
});
process.send({ ready: true });
