"""libtorrent (python3-libtorrent) as the other side of magnet tests and the magnet bench.

python3 libtorrent-magnet.py seed TORRENT DATA_DIR BLOCK NODES DHT
    NODES DHT-only sessions on 127.BLOCK.N.1 (N = 1..NODES), linked to each other, and a seeder
    of TORRENT (content in DATA_DIR) on 127.BLOCK.(NODES+1).1, with the DHT when DHT is 1.
    Prints {"nodes": [...], "seeder": {"host", "port"}} once seeding (and announced to the DHT),
    then runs until SIGTERM.
python3 libtorrent-magnet.py leech MAGNET SAVE_DIR BLOCK HOST:PORT...
    A leecher on 127.BLOCK.200.1 that adds MAGNET, its DHT linked to the given nodes. Prints
    {"metadata": seconds} and {"finished": seconds} (from the add) and exits when done.

The loopback DHT settings are those that work here: each session on its own loopback /24, no
bootstrap nodes, the IP restrictions off. The peer wire is that of every other peer of the benches
(`bench/libtorrent-peer.py`): TCP only (libtorrent prefers uTP otherwise, which crawls on
loopback: 64 MiB took 10 s), outgoing connections in plaintext, no IP overhead counted against
rates; libtorrent's defaults otherwise (LT_TICK_MS sets its tick, 500 ms by default).
LT_SETTINGS (JSON) adds settings to every session, over these (uTP only: TCP off, uTP on).
"""
import json
import os
import signal
import sys
import time

import libtorrent as lt

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def settings(host, dht):
    values = {
        "listen_interfaces": f"{host}:0",
        "enable_dht": dht,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "dht_bootstrap_nodes": "",
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_prefer_verified_node_ids": False,
        "allow_multiple_connections_per_ip": True,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "out_enc_policy": int(lt.enc_policy.disabled),
        "rate_limit_ip_overhead": False,
        "alert_mask": lt.alert.category_t.status_notification | lt.alert.category_t.error_notification,
        **json.loads(os.environ.get("LT_SETTINGS", "{}")),
    }
    # libtorrent acts on a 500 ms tick (new connections, request queues): LT_TICK_MS sets it
    if os.environ.get("LT_TICK_MS"):
        values["tick_interval"] = int(os.environ["LT_TICK_MS"])
    return values


def wait_port(session):
    deadline = time.time() + 10
    while session.listen_port() == 0 and time.time() < deadline:
        time.sleep(0.02)
    return session.listen_port()


def emit(value):
    print(json.dumps(value), flush=True)


def seed(torrent, data_dir, block, count, dht):
    nodes = []
    for n in range(count):
        host = f"127.{block}.{n + 1}.1"
        session = lt.session(settings(host, True))
        nodes.append({"session": session, "host": host, "port": wait_port(session)})
    host = f"127.{block}.{count + 1}.1"
    seeder = lt.session(settings(host, dht))
    port = wait_port(seeder)
    everyone = nodes + ([{"session": seeder, "host": host, "port": port}] if dht else [])
    for a in everyone:
        for b in everyone:
            if a is not b:
                a["session"].add_dht_node((b["host"], b["port"]))
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(torrent)
    params.save_path = data_dir
    handle = seeder.add_torrent(params)
    deadline = time.time() + 60
    while not handle.status().is_seeding and time.time() < deadline:
        time.sleep(0.05)
    if dht:
        # let the table fill before the announce, then announce again now and then
        time.sleep(0.5)
        handle.force_dht_announce()
    emit(
        {
            "nodes": [{"host": n["host"], "port": n["port"]} for n in nodes],
            "seeder": {"host": host, "port": port},
        }
    )
    last = time.time()
    while True:
        time.sleep(0.2)
        if dht and time.time() - last > 5:
            handle.force_dht_announce()
            last = time.time()


def leech(magnet, save_dir, block, nodes):
    host = f"127.{block}.200.1"
    session = lt.session(settings(host, True))
    wait_port(session)
    for node in nodes:
        h, p = node.rsplit(":", 1)
        session.add_dht_node((h, int(p)))
    params = lt.parse_magnet_uri(magnet)
    params.save_path = save_dir
    started = time.time()
    handle = session.add_torrent(params)
    have_metadata = False
    deadline = time.time() + 170
    while time.time() < deadline:
        status = handle.status()
        if not have_metadata and status.has_metadata:
            have_metadata = True
            emit({"metadata": time.time() - started})
        if status.is_seeding:
            emit({"finished": time.time() - started})
            return
        time.sleep(0.01)
    emit({"error": "timed out"})
    sys.exit(1)


if sys.argv[1] == "seed":
    seed(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6] == "1")
else:
    leech(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:])
