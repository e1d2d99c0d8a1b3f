#!/bin/sh
# Profiling aid: one leecher run against one aria2 seeder (not part of `pnpm bench`).
# Usage: sh bench/quick-perf.sh [MiB] [leech-ours.mjs|leech-webtorrent.mjs]; NODE_FLAGS=--cpu-prof etc.
SIZE_MB=${1:-256}
D=$(mktemp -d /tmp/bt-perf-XXXX)
mkdir -p $D/seed $D/leech
head -c ${SIZE_MB}M /dev/urandom > $D/seed/payload.bin
mktorrent -l 20 -a http://127.0.0.1:9/announce -o $D/p.torrent $D/seed/payload.bin >/dev/null
PORT=$(( 30000 + $$ % 20000 ))
aria2c --seed-ratio=0.0 --bt-seed-unverified=true $SEEDOPT --dir=$D/seed --listen-port=$PORT --enable-dht=false --bt-enable-lpd=false --enable-peer-exchange=false --console-log-level=warn --summary-interval=0 --disable-ipv6=true $D/p.torrent >/dev/null 2>&1 &
APID=$!
sleep ${SLEEP:-1}
$WRAP /usr/bin/time -f "%e s %U user %S sys %M KB %R minflt %c invcs %w vcs" node $NODE_FLAGS $(dirname $0)/${2:-leech-ours.mjs} $D/p.torrent $D/leech 127.0.0.1:$PORT
cmp $D/seed/payload.bin $D/leech/payload.bin && echo SAME
kill $APID
rm -rf $D
