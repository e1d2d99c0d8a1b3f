/** @bt/webseed/node: the HTTP(S) range client of web seeds, over `node:http`. */
export { HttpRangeClient } from './node/http-client.js';
export type { FetchSegmentOptions, HttpRangeClientOptions } from './node/http-client.js';
