/**
 * @bt/session/node: the engine's HTTP side. `createStreamHandler` serves files of torrents while
 * they download (`/stream/<info-hash>/<file index>`, with `Range`), for `bt stream` and btd
 * alike; `startStreamServer` serves one file on its own port.
 */
export { createStreamHandler, startStreamServer } from './node/stream-server.js';
export type {
  StreamHandler,
  StreamHandlerOptions,
  StreamServer,
  StreamServerOptions,
} from './node/stream-server.js';
