/**
 * Helpers for bt's tests: finding the real programs that interop tests run against (and
 * failing loudly in CI when one is missing), free loopback ports, temporary folders, child
 * processes that are always cleaned up, network namespaces for multicast, and the real programs'
 * set-up (mktorrent, opentracker, nginx).
 */
export { bundleScript } from './bundle.js';
export { filledBytes, startHttpStub, testAnnounceRequest, testPeerId } from './tracker-fixtures.js';
export { findProgram, requireLibtorrentPython, requireProgram, isCI } from './programs.js';
export { freePort, freeUdpPort } from './ports.js';
export { makeTempDir, removeTempDirs } from './temp.js';
export { createLinkedNamespaces, createLoopbackNamespace, requireNamespaces } from './netns.js';
export type { NetworkNamespace } from './netns.js';
export { releaseMount, trackMount } from './cleanup.js';
export { runMktorrent } from './mktorrent.js';
export type { MktorrentOptions } from './mktorrent.js';
export { requireChromium, startChromium } from './chromium.js';
export type { Chromium } from './chromium.js';
export { startNginx } from './nginx.js';
export type { Nginx, StartNginxOptions } from './nginx.js';
export { startOpentracker } from './opentracker.js';
export type { Opentracker, StartOpentrackerOptions } from './opentracker.js';
export {
  PATIENCE_MS,
  startProcess,
  stopAllProcesses,
  waitForPort,
  waitFor,
  waitForExit,
} from './processes.js';
export type { RunningProcess, StartProcessOptions } from './processes.js';
