/**
 * @bt/session/node: the engine's HTTP side. `createStreamHandler` serves files of torrents while
 * they download (`/stream/<info-hash>/<file index>`, with `Range`), for `bt stream` and btd
 * alike; `startStreamServer` serves one file on its own port; `answerClientError` ends a
 * malformed, oversized or slow request (408, 431, 400).
 */
export { answerClientError, createStreamHandler, startStreamServer } from './node/stream-server.js';
export type {
  StreamHandler,
  StreamHandlerOptions,
  StreamServer,
  StreamServerOptions,
} from './node/stream-server.js';
