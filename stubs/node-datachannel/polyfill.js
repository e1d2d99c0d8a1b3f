// WebRTC is not available in bt's test environment; WebTorrent runs over TCP here.
class Unavailable {
  constructor() {
    throw new Error('node-datachannel stub: WebRTC is not available in this environment');
  }
}
export const RTCPeerConnection = Unavailable;
export const RTCSessionDescription = Unavailable;
export const RTCIceCandidate = Unavailable;
export const RTCDataChannel = Unavailable;
export const RTCCertificate = Unavailable;
export const RTCDtlsTransport = Unavailable;
export const RTCIceTransport = Unavailable;
export const RTCSctpTransport = Unavailable;
export const RTCPeerConnectionIceEvent = Unavailable;
export const RTCDataChannelEvent = Unavailable;
export const RTCError = Unavailable;
export default { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate, RTCDataChannel };
