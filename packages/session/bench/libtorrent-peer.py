#!/usr/bin/python3
"""A libtorrent 2.0 peer for the session benches (Debian python3-libtorrent, /usr/bin/python3).

  libtorrent-peer.py seed  <torrent> <dir> <port>
      checks <dir>/<name>, seeds it on 127.0.0.1:<port>, prints 'listening <port>' once seeding
      (not seed mode, which hashes each piece on its first request and would bill the leecher's
      run with the check), runs until SIGTERM.
  libtorrent-peer.py leech <torrent> <dir> <count> <host:port>...
      <count> fresh sessions download from the given peers (into <dir> for one leecher, into
      <dir>/<i> for several); prints one JSON line {"seconds": ...} once every one has the whole torrent.
  libtorrent-peer.py first-piece <magnet> <dir>
      a fresh session adds <magnet> (its peers from x.pe) and prints one JSON line
      {"metadata": s, "firstPiece": s}: seconds from the add to the metadata and to its first
      verified piece (the streaming bench's anchor), then exits.

TCP only (uTP off; LT_UTP_ONLY=1 turns TCP off and uTP on instead), no DHT, LSD, UPnP or NAT-PMP: the same conditions as every other peer of
the bench; outgoing connections in plaintext. Settings are libtorrent's defaults otherwise.
"""
import json
import os
import signal
import sys
import time

import libtorrent as lt


UTP_ONLY = os.environ.get('LT_UTP_ONLY') == '1'


def make_session(port):
    return lt.session({
        'listen_interfaces': '127.0.0.1:%d' % port,
        'enable_dht': False,
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        'enable_outgoing_utp': UTP_ONLY,
        'enable_incoming_utp': UTP_ONLY,
        'enable_outgoing_tcp': not UTP_ONLY,
        'enable_incoming_tcp': not UTP_ONLY,
        'allow_multiple_connections_per_ip': True,
        # plaintext out (our client has no MSE yet; libtorrent would retry in plain after a
        # while otherwise); incoming accepts both, as by default
        'out_enc_policy': int(lt.enc_policy.disabled),
        'alert_mask': lt.alert_category.error,
    })


def seed(torrent, directory, port):
    session = make_session(port)
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(torrent)
    params.save_path = directory
    handle = session.add_torrent(params)
    while not handle.status().is_seeding:
        time.sleep(0.05)
        for alert in session.pop_alerts():
            print(alert.message(), file=sys.stderr, flush=True)
    print('listening %d' % session.listen_port(), flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        time.sleep(0.2)
        for alert in session.pop_alerts():
            print(alert.message(), file=sys.stderr, flush=True)


def leech(torrent, directory, count, peers):
    info = lt.torrent_info(torrent)
    sessions = []
    handles = []
    started = time.monotonic()
    for index in range(count):
        session = make_session(0)
        params = lt.add_torrent_params()
        params.ti = info
        params.save_path = directory if count == 1 else os.path.join(directory, str(index))
        params.trackers = []
        handle = session.add_torrent(params)
        handle.replace_trackers([])
        for peer in peers:
            host, port = peer.rsplit(':', 1)
            handle.connect_peer((host, int(port)))
        sessions.append(session)
        handles.append(handle)
    last_dial = time.monotonic()
    while True:
        time.sleep(0.02)
        statuses = [handle.status() for handle in handles]
        if all(status.is_seeding for status in statuses):
            break
        # a peer dialled before the torrent was ready is retried only a minute later: dial again
        if time.monotonic() - last_dial > 1:
            last_dial = time.monotonic()
            for handle, status in zip(handles, statuses):
                if status.num_peers == 0 and not status.is_seeding:
                    for peer in peers:
                        host, port = peer.rsplit(':', 1)
                        handle.connect_peer((host, int(port)))
        for session in sessions:
            for alert in session.pop_alerts():
                print(alert.message(), file=sys.stderr, flush=True)
    seconds = time.monotonic() - started
    print(json.dumps({'seconds': seconds, 'leechers': count}), flush=True)


def first_piece(magnet, directory):
    session = make_session(0)
    session.apply_settings({
        'alert_mask': lt.alert_category.error | lt.alert_category.status
        | lt.alert_category.piece_progress,
    })
    params = lt.parse_magnet_uri(magnet)
    params.save_path = directory
    started = time.monotonic()
    session.add_torrent(params)
    metadata = None
    deadline = started + 120
    while time.monotonic() < deadline:
        session.wait_for_alert(100)
        for alert in session.pop_alerts():
            if isinstance(alert, lt.metadata_received_alert) and metadata is None:
                metadata = time.monotonic() - started
            elif isinstance(alert, lt.piece_finished_alert):
                print(json.dumps({'metadata': metadata, 'firstPiece': time.monotonic() - started}),
                      flush=True)
                return
    sys.exit('no piece within 120 s')


if __name__ == '__main__':
    mode = sys.argv[1]
    if mode == 'seed':
        seed(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif mode == 'leech':
        leech(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:])
    elif mode == 'first-piece':
        first_piece(sys.argv[2], sys.argv[3])
    else:
        sys.exit('usage: libtorrent-peer.py seed|leech|first-piece ...')
