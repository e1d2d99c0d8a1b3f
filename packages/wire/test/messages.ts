/** Shared by the tests: one sample of every message, and fast-check arbitraries for all of them. */
import fc from 'fast-check';
import type { Message } from '../src/messages.js';

export const sampleMessages: Message[] = [
  { type: 'keep-alive' },
  { type: 'choke' },
  { type: 'unchoke' },
  { type: 'interested' },
  { type: 'not-interested' },
  { type: 'have', index: 7 },
  { type: 'bitfield', bitfield: Uint8Array.of(0xff, 0x80) },
  { type: 'request', index: 1, begin: 16384, length: 16384 },
  { type: 'piece', index: 1, begin: 16384, block: Uint8Array.from({ length: 100 }, (_, i) => i) },
  { type: 'cancel', index: 1, begin: 16384, length: 16384 },
  { type: 'port', port: 6881 },
  { type: 'suggest', index: 3 },
  { type: 'have-all' },
  { type: 'have-none' },
  { type: 'reject', index: 2, begin: 0, length: 16384 },
  { type: 'allowed-fast', index: 4 },
  { type: 'extended', id: 3, payload: Uint8Array.of(100, 101) },
];

const uint32 = fc.integer({ min: 0, max: 0xffffffff });
const index = fc.integer({ min: 0, max: 1000 });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength });

/** Any message except the extended handshake (compared separately), with indices below 1001. */
export const arbitraryMessage: fc.Arbitrary<Message> = fc.oneof(
  fc.constantFrom<Message>(
    { type: 'keep-alive' },
    { type: 'choke' },
    { type: 'unchoke' },
    { type: 'interested' },
    { type: 'not-interested' },
    { type: 'have-all' },
    { type: 'have-none' },
  ),
  fc.record({
    type: fc.constantFrom('have' as const, 'suggest' as const, 'allowed-fast' as const),
    index,
  }),
  fc.record({ type: fc.constant('bitfield' as const), bitfield: bytes(40) }),
  fc.record({
    type: fc.constantFrom('request' as const, 'cancel' as const, 'reject' as const),
    index,
    begin: uint32,
    length: fc.integer({ min: 0, max: 16384 }),
  }),
  fc.record({ type: fc.constant('piece' as const), index, begin: uint32, block: bytes(3000) }),
  fc.record({ type: fc.constant('port' as const), port: fc.integer({ min: 0, max: 65535 }) }),
  fc.record({
    type: fc.constant('extended' as const),
    id: fc.integer({ min: 1, max: 255 }),
    payload: bytes(200),
  }),
);

/** Normalizes decoded messages (views, frozen singletons) to plain comparable values. */
export function plain(message: unknown): unknown {
  return JSON.parse(
    JSON.stringify(message, (_key, value: unknown) =>
      value instanceof Uint8Array ? { bytes: Array.from(value) } : value,
    ),
  );
}
