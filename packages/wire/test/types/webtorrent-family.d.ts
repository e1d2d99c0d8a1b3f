/* eslint-disable @typescript-eslint/no-explicit-any -- untyped JavaScript packages */
// bittorrent-protocol, ut_metadata, ut_pex and webtorrent ship no types; the tests use a small,
// loosely typed part of them.
declare module 'bittorrent-protocol' {
  const Wire: any;
  export default Wire;
}
declare module 'ut_metadata' {
  const utMetadata: any;
  export default utMetadata;
}
declare module 'ut_pex' {
  const utPex: any;
  export default utPex;
}
declare module 'webtorrent' {
  const WebTorrent: any;
  export default WebTorrent;
}
