export { SimulatedNetwork } from '../src/index.js';

export function idKeyForTest(id: Uint8Array): string {
  return Buffer.from(id).toString('hex');
}
