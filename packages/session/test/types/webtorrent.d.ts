// WebTorrent ships no types; the tests use a few calls of it.
declare module 'webtorrent';
