// RC4 throughput of @bt/mse (the TypeScript cipher every encrypted byte goes through), with a
// copy of the same bytes (memcpy) as the anchor. Run with `pnpm bench` (after `pnpm build`).
import { Rc4 } from '../dist/index.js';

const size = 16 * 1024 * 1024;
const rounds = Number(process.env.RC4_ROUNDS ?? 8);
const input = new Uint8Array(size).map((_, k) => k & 255);
const output = new Uint8Array(size);
const rc4 = new Rc4(new Uint8Array(20).fill(7));

function measure(label, work) {
  work(); // warm up
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) work();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const rate = (size * rounds) / seconds / 1e6;
  console.log(`${label.padEnd(34)} ${rate.toFixed(0).padStart(6)} MB/s`);
  return rate;
}

const block = 16 * 1024;
const rc4Rate = measure('rc4 (16 KiB blocks, into a copy)', () => {
  for (let at = 0; at < size; at += block)
    rc4.process(input.subarray(at, at + block), output.subarray(at, at + block));
});
const inPlace = measure('rc4 (256 KiB reads, in place)', () => {
  for (let at = 0; at < size; at += 256 * 1024) rc4.process(output.subarray(at, at + 256 * 1024));
});
const copyRate = measure('copy (anchor)', () => output.set(input));
console.log(`rc4 / copy: ${(rc4Rate / copyRate).toFixed(3)}x; in place ${inPlace.toFixed(0)} MB/s`);
