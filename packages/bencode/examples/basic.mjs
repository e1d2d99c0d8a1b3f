// Runnable example: `node examples/basic.mjs` (after `pnpm build`).
import { decode, encode, getDictionary, getText, locate, toText } from '@bt/bencode';

// Encode: plain objects, Maps, strings (UTF-8), integers, bigints, bytes. Keys come out sorted.
const torrent = encode({
  announce: 'http://127.0.0.1:6969/announce',
  info: { name: 'hello.txt', length: 12, 'piece length': 16384, pieces: new Uint8Array(20) },
});
console.log(new TextDecoder().decode(torrent.subarray(0, 45)), '...');

// Decode: byte strings are Uint8Array views, dictionaries are Maps.
const value = decode(torrent);
const info = getDictionary(value, 'info');
console.log('name:', info && getText(info, 'name'));

// The exact bytes of the info dictionary, for the info-hash, without re-encoding.
const span = locate(torrent, ['info']);
console.log('info dictionary spans bytes', span.start, 'to', span.end);

// Malformed input: a typed error with the byte offset.
try {
  decode(new TextEncoder().encode('d4:name5:abce'));
} catch (error) {
  console.log(`${error.name} [${error.code}] at byte ${error.offset}: ${error.message}`);
}
console.log(toText(decode(encode('héllo'))));
