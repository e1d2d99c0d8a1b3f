# One libtorrent session (Debian python3-libtorrent) for the discovery tests: seeds or downloads
# one torrent, with local service discovery (BEP 14) and peer exchange (BEP 11) on or off, dials
# the peers it is given, and prints one JSON line per event on stdout:
#   {"type": "ready", "port": N}             listening
#   {"type": "lsd-peer", "message": ...}     a local discovery announce named our torrent
#   {"type": "peers", "peers": [...]}        every second: the connected peers, with how each was found
#   {"type": "finished"}                     every piece verified
# argv[1] is a JSON object: torrent, save, listen ("127.0.0.1:0"), lsd, pex, peers ([host, port]
# pairs), download_rate_limit (bytes per second, 0 for none).
import json
import sys
import time

import libtorrent as lt

options = json.loads(sys.argv[1])


def say(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


settings = {
    "listen_interfaces": options.get("listen", "127.0.0.1:0"),
    "enable_lsd": bool(options.get("lsd", False)),
    "enable_dht": False,
    "enable_upnp": False,
    "enable_natpmp": False,
    "enable_outgoing_utp": False,
    "enable_incoming_utp": False,
    "allow_multiple_connections_per_ip": True,
    "download_rate_limit": int(options.get("download_rate_limit", 0)),
    "alert_mask": lt.alert.category_t.status_notification
    | lt.alert.category_t.peer_notification
    | lt.alert.category_t.error_notification,
}
session = lt.session(settings)
if not options.get("pex", True):
    # a session without the default plugins, then the ones wanted back (no ut_pex)
    session = lt.session(settings, flags=0)
    session.add_extension("ut_metadata")
    session.add_extension("smart_ban")

if options.get("download_rate_limit"):
    # libtorrent exempts local peers from rate limits: put every address in the global class
    classes = lt.ip_filter()
    classes.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
    session.set_peer_class_filter(classes)

handle = session.add_torrent(
    {"ti": lt.torrent_info(options["torrent"]), "save_path": options["save"]}
)
for host, port in options.get("peers", []):
    handle.connect_peer((host, port))
say({"type": "ready", "port": session.listen_port()})

finished = False
next_peers = 0.0
while True:
    session.wait_for_alert(250)
    for alert in session.pop_alerts():
        if alert.what() == "lsd_peer":
            say({"type": "lsd-peer", "message": alert.message()})
        elif isinstance(alert, lt.torrent_finished_alert) and not finished:
            finished = True
            say({"type": "finished"})
    if time.time() >= next_peers:
        next_peers = time.time() + 1.0
        peers = []
        for peer in handle.get_peer_info():
            peers.append(
                {
                    "ip": peer.ip[0],
                    "port": peer.ip[1],
                    "client": peer.client.decode("utf-8", "replace")
                    if isinstance(peer.client, bytes)
                    else peer.client,
                    "pex": bool(peer.source & lt.peer_info.pex),
                    "lsd": bool(peer.source & lt.peer_info.lsd),
                    "seed": bool(peer.flags & lt.peer_info.seed),
                }
            )
        status = handle.status()
        say({"type": "peers", "peers": peers, "progress": status.progress, "seed": status.is_seeding})
