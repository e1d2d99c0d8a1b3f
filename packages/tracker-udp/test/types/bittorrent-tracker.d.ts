// bittorrent-tracker ships no types; the tests use a small, loosely typed part of it.
declare module 'bittorrent-tracker' {
  const Client: any;
  export const Server: any;
  export default Client;
}
