// WebRTC is not available in bt's test environment; WebTorrent runs over TCP here.
// Every export that webrtc-polyfill imports exists, and throws if it is ever used.
class Unavailable {
  constructor() {
    throw new Error('node-datachannel stub: WebRTC is not available in this environment');
  }
}
export class PeerConnection extends Unavailable {}
export class RtcpReceivingSession extends Unavailable {}
export class Video extends Unavailable {}
export class Audio extends Unavailable {}
export class DataChannel extends Unavailable {}
export const initLogger = () => {};
export const cleanup = () => {};
export const preload = () => {};
export default {
  PeerConnection,
  RtcpReceivingSession,
  Video,
  Audio,
  DataChannel,
  initLogger,
  cleanup,
  preload,
};
