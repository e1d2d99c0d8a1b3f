"""A loopback DHT of libtorrent sessions, driven over HTTP by the interop tests and the bench.

Each session listens on its own loopback address in its own /24 (127.A.N.1), so the
one-node-per-IP rules do not bite; the bootstrap list is empty (its default points at the
internet), the IP restrictions are off, and the sessions are linked with add_dht_node.

Usage: python3 libtorrent-mesh.py SESSIONS [A [FOLDER]]. With MESH_PORTS=P1,P2,... in the
environment (one port a session), each session also listens on [::1] (BEP 32: a second DHT node
on IPv6, same port), and the sessions are linked over both families. FOLDER (made and removed by the
caller, so that it goes even if this process is killed) holds the sessions' files; without it a
temp folder is made and removed at exit. Prints one JSON line when ready:
{"control": PORT, "nodes": [{"host": ..., "port": ...}, ...]}; then answers POST / with a JSON
command (see `handle`) by a JSON result. Runs until SIGTERM.
"""
import atexit
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import libtorrent as lt

count = int(sys.argv[1])
block = int(sys.argv[2]) if len(sys.argv) > 2 else 1
if len(sys.argv) > 3:
    workdir = sys.argv[3]
else:
    workdir = tempfile.mkdtemp(prefix="bt-dht-libtorrent-")
    atexit.register(shutil.rmtree, workdir, True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

ports6 = [int(p) for p in os.environ.get("MESH_PORTS", "").split(",") if p]
sessions = []
for n in range(count):
    host = f"127.{block}.{n + 1}.1"
    listen = f"{host}:{ports6[n]},[::1]:{ports6[n]}" if ports6 else f"{host}:0"
    settings = {
        "listen_interfaces": listen,
        "enable_dht": True,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "dht_bootstrap_nodes": "",
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_prefer_verified_node_ids": False,
        "alert_mask": lt.alert.category_t.dht_notification
        | lt.alert.category_t.dht_operation_notification
        | lt.alert.category_t.status_notification
        | lt.alert.category_t.error_notification,
    }
    session = lt.session(settings)
    sessions.append(
        {"session": session, "host": host, "alerts": [], "base": 0, "cond": threading.Condition()}
    )

for entry in sessions:
    deadline = time.time() + 10
    while entry["session"].listen_port() == 0 and time.time() < deadline:
        time.sleep(0.02)
    entry["port"] = entry["session"].listen_port()

for a in sessions:
    for b in sessions:
        if a is not b:
            a["session"].add_dht_node((b["host"], b["port"]))
            if ports6:
                a["session"].add_dht_node(("::1", b["port"]))


def pump():
    while True:
        for entry in sessions:
            alerts = entry["session"].pop_alerts()
            if alerts:
                with entry["cond"]:
                    entry["alerts"].extend(alerts)
                    # Old alerts go; "base" keeps the positions that mark() handed out valid.
                    excess = len(entry["alerts"]) - 2000
                    if excess > 0:
                        del entry["alerts"][:excess]
                        entry["base"] += excess
                    entry["cond"].notify_all()
        time.sleep(0.005)


threading.Thread(target=pump, daemon=True).start()


def wait_for(entry, match, timeout, start_index=0):
    """The first alert (from position start_index on) that `match` accepts, or None."""
    deadline = time.time() + timeout
    with entry["cond"]:
        position = start_index
        while True:
            while position - entry["base"] < len(entry["alerts"]):
                index = max(0, position - entry["base"])
                alert = entry["alerts"][index]
                position = entry["base"] + index + 1
                if match(alert):
                    return alert
            remaining = deadline - time.time()
            if remaining <= 0:
                return None
            entry["cond"].wait(remaining)


def mark(entry):
    with entry["cond"]:
        return entry["base"] + len(entry["alerts"])


def hexhash(value):
    return bytes.fromhex(str(value))


def secret_key(seed):
    # libtorrent's ed25519 secret key is the expanded form: SHA-512 of the seed, clamped.
    digest = bytearray(hashlib.sha512(seed).digest())
    digest[0] &= 248
    digest[31] &= 63
    digest[31] |= 64
    return bytes(digest)


def bencode(value):
    """Bencodes what the binding hands over (dicts, lists, ints, bytes, str)."""
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(item) for item in value) + b"e"
    if isinstance(value, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in value.items())
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"
    raise TypeError(f"cannot bencode {type(value)}")


def handle(command):
    entry = sessions[command.get("session", 0)]
    session = entry["session"]
    timeout = command.get("timeout", 20)
    op = command["op"]
    if op == "add_node":
        session.add_dht_node((command["host"], command["port"]))
        return {}
    if op == "nodes":
        return {"nodes": session.status().dht_nodes}
    if op == "announce":
        # dht_announce's flags have no Python converter: a torrent known only by its info-hash
        # (a magnet, as a leecher starts) announces the session's port instead.
        params = lt.add_torrent_params()
        params.info_hashes = lt.info_hash_t(lt.sha1_hash(bytes.fromhex(command["infoHash"])))
        params.save_path = workdir
        handle = session.add_torrent(params)
        handle.force_dht_announce()
        return {"port": entry["port"]}
    if op == "get_peers":
        target = bytes.fromhex(command["infoHash"])
        start = mark(entry)
        began = time.perf_counter()
        session.dht_get_peers(lt.sha1_hash(target))
        alert = wait_for(
            entry,
            lambda a: isinstance(a, lt.dht_get_peers_reply_alert) and bytes(a.info_hash.to_bytes()) == target,
            timeout,
            start,
        )
        if alert is None:
            return {"peers": [], "seconds": None}
        peers = [{"host": p[0], "port": p[1]} for p in alert.peers()]
        if command.get("families", 1) > 1:
            # Dual stack: each family's DHT node posts its own reply; both are gathered.
            second = wait_for(
                entry,
                lambda a: a is not alert
                and isinstance(a, lt.dht_get_peers_reply_alert)
                and bytes(a.info_hash.to_bytes()) == target,
                timeout,
                start,
            )
            if second is not None:
                peers += [{"host": p[0], "port": p[1]} for p in second.peers()]
        return {
            "peers": peers,
            "seconds": time.perf_counter() - began,
        }
    if op == "put_immutable":
        start = mark(entry)
        target = session.dht_put_immutable_item(lt.bdecode(bytes.fromhex(command["value"])))
        alert = wait_for(entry, lambda a: isinstance(a, lt.dht_put_alert), timeout, start)
        return {"target": str(target), "stored": alert.num_success if alert else 0}
    if op == "get_immutable":
        start = mark(entry)
        target = bytes.fromhex(command["target"])
        session.dht_get_immutable_item(lt.sha1_hash(target))
        alert = wait_for(
            entry,
            lambda a: isinstance(a, lt.dht_immutable_item_alert) and bytes(a.target.to_bytes()) == target,
            timeout,
            start,
        )
        if alert is None or alert.item is None:
            return {"value": None}
        item = alert.item
        # The binding hands over {"key": target, "value": value} (and only string values).
        if isinstance(item, dict):
            item = item.get("value", item.get(b"value"))
        return {"value": bencode(item).hex()}
    if op == "put_mutable":
        start = mark(entry)
        seed = bytes.fromhex(command["seed"])
        session.dht_put_mutable_item(
            secret_key(seed),
            bytes.fromhex(command["publicKey"]),
            bytes.fromhex(command["value"]),
            bytes.fromhex(command.get("salt", "")),
        )
        alert = wait_for(entry, lambda a: isinstance(a, lt.dht_put_alert), timeout, start)
        return {"stored": alert.num_success if alert else 0, "seq": alert.seq if alert else None}
    if op == "get_mutable":
        start = mark(entry)
        key = bytes.fromhex(command["publicKey"])
        salt = bytes.fromhex(command.get("salt", ""))
        session.dht_get_mutable_item(key, salt)
        alert = wait_for(
            entry,
            lambda a: isinstance(a, lt.dht_mutable_item_alert) and a.authoritative,
            timeout,
            start,
        )
        if alert is None or alert.seq <= 0:
            return {"value": None}
        item = alert.item
        # The binding hands the whole item over as a dict; its value is under "value".
        if isinstance(item, dict):
            item = item.get("value", item.get(b"value"))
        return {"value": bencode(item).hex(), "seq": alert.seq}
    if op == "sample":
        start = mark(entry)
        session.dht_sample_infohashes((command["host"], command["port"]), lt.sha1_hash(bytes(20)))
        alert = wait_for(entry, lambda a: isinstance(a, lt.dht_sample_infohashes_alert), timeout, start)
        if alert is None:
            return {"samples": None}
        return {
            "samples": [bytes(s.to_bytes()).hex() for s in alert.samples],
            "num": alert.num_infohashes,
        }
    raise ValueError(f"unknown op {op}")


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        try:
            result = handle(json.loads(self.rfile.read(length)))
            body = json.dumps(result).encode()
            self.send_response(200)
        except Exception as error:  # reported to the test, which fails on it
            body = json.dumps({"error": repr(error)}).encode()
            self.send_response(500)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(
    json.dumps(
        {
            "control": server.server_address[1],
            "nodes": [{"host": e["host"], "port": e["port"]} for e in sessions],
        }
    ),
    flush=True,
)
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    pass
