#!/usr/bin/python3
"""A libtorrent 2.0 peer for the encryption bench (Debian python3-libtorrent, /usr/bin/python3).

  mse-libtorrent.py seed  <torrent> <dir> <port> forced|disabled
      seeds <dir>/<name> on 127.0.0.1:<port> with MSE/PE forced (RC4 only) or disabled; prints
      'listening <port>' once seeding, runs until SIGTERM.
  mse-libtorrent.py leech <torrent> <dir> <host:port> forced|disabled
      downloads from the peer with the same policy; prints {"seconds": ...} when complete.

TCP only, no DHT, LSD, UPnP or NAT-PMP: the conditions of the other session benches.
"""
import json
import signal
import sys
import time

import libtorrent as lt


def make_session(port, encryption):
    policy = lt.enc_policy.forced if encryption == 'forced' else lt.enc_policy.disabled
    return lt.session({
        'listen_interfaces': '127.0.0.1:%d' % port,
        'enable_dht': False,
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        'enable_outgoing_utp': False,
        'enable_incoming_utp': False,
        'allow_multiple_connections_per_ip': True,
        'out_enc_policy': int(policy),
        'in_enc_policy': int(policy),
        'allowed_enc_level': int(lt.enc_level.rc4),
        'alert_mask': lt.alert_category.error,
    })


def add(session, torrent, directory):
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(torrent)
    params.save_path = directory
    return session.add_torrent(params)


def seed(torrent, directory, port, encryption):
    session = make_session(port, encryption)
    handle = add(session, torrent, directory)
    while not handle.status().is_seeding:
        time.sleep(0.05)
    print('listening %d' % session.listen_port(), flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        time.sleep(0.2)


def leech(torrent, directory, peer, encryption):
    session = make_session(0, encryption)
    started = time.monotonic()
    handle = add(session, torrent, directory)
    host, port = peer.rsplit(':', 1)
    handle.connect_peer((host, int(port)))
    last_dial = time.monotonic()
    while not handle.status().is_seeding:
        time.sleep(0.02)
        if handle.status().num_peers == 0 and time.monotonic() - last_dial > 1:
            last_dial = time.monotonic()
            handle.connect_peer((host, int(port)))
    print(json.dumps({'seconds': time.monotonic() - started}), flush=True)


if __name__ == '__main__':
    mode = sys.argv[1]
    if mode == 'seed':
        seed(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif mode == 'leech':
        leech(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        sys.exit('usage: mse-libtorrent.py seed|leech ...')
