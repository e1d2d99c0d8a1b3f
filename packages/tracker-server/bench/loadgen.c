/*
 * UDP tracker load generator for the bench (BEP 15 announces on loopback).
 * C rather than Node so that the generator is not the bottleneck: batches of datagrams go
 * out with sendmmsg and come back with recvmmsg over a few connected sockets, each keeping a
 * window of announces in flight.
 *
 * usage: loadgen HOST PORT MODE FIRST COUNT TORRENTS SOCKETS WINDOW SECONDS
 *   MODE fill: announce peers FIRST..FIRST+COUNT-1 once each ("started"), then stop.
 *   MODE rate: re-announce peers FIRST..FIRST+COUNT-1 round-robin for SECONDS.
 * Peer p announces torrent (p % TORRENTS) from port 1024 + (p / TORRENTS) % 60000 with a peer
 * id derived from p, so every p is a distinct (torrent, peer) entry in any tracker.
 * Info-hash of torrent t: bytes 0-3 = t (big-endian), bytes 4-19 = 0xb7 ^ index.
 * Prints one JSON line: sent, replies, errors, lost (replies not back within the patience
 * window: 10 ms when measuring rate, 200 ms when filling), seconds, rate (replies per second).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS 64
#define MAX_WINDOW 1024
#define PACKET 98

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static void put64(uint8_t *p, uint64_t v) {
  put32(p, (uint32_t)(v >> 32));
  put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void build_announce(uint8_t *b, const uint8_t *conn, uint32_t tid, uint64_t p, uint32_t torrents, int started) {
  uint32_t t = (uint32_t)(p % torrents);
  memcpy(b, conn, 8);
  put32(b + 8, 1);
  put32(b + 12, tid);
  put32(b + 16, t);
  for (int i = 4; i < 20; i++) b[16 + i] = 0xb7 ^ i;
  memcpy(b + 36, "-LG0001-", 8);
  put64(b + 44, p);
  put32(b + 52, 0x5eed);
  put64(b + 56, 0);                    /* downloaded */
  put64(b + 64, (p & 1) ? 0 : 1000);   /* left: odd peers seed */
  put64(b + 72, 0);                    /* uploaded */
  put32(b + 80, started ? 2 : 0);      /* event */
  put32(b + 84, 0);                    /* ip */
  put32(b + 88, (uint32_t)p);          /* key */
  put32(b + 92, 50);                   /* numwant */
  uint16_t port = 1024 + (uint16_t)((p / torrents) % 60000);
  b[96] = port >> 8; b[97] = port & 0xff;
}

static int connect_tracker(int fd, uint8_t *conn) {
  uint8_t req[16], res[64];
  put64(req, 0x41727101980ULL);
  put32(req + 8, 0);
  for (int attempt = 0; attempt < 10; attempt++) {
    uint32_t tid = 0xc0ffee00u + attempt;
    put32(req + 12, tid);
    if (send(fd, req, 16, 0) != 16) return -1;
    struct pollfd pfd = { fd, POLLIN, 0 };
    if (poll(&pfd, 1, 500) > 0) {
      ssize_t n = recv(fd, res, sizeof res, 0);
      if (n >= 16 && get32(res) == 0 && get32(res + 4) == tid) {
        memcpy(conn, res + 8, 8);
        return 0;
      }
    }
  }
  return -1;
}

int main(int argc, char **argv) {
  if (argc != 10) {
    fprintf(stderr, "usage: loadgen HOST PORT fill|rate FIRST COUNT TORRENTS SOCKETS WINDOW SECONDS\n");
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  int fill = strcmp(argv[3], "fill") == 0;
  uint64_t first = strtoull(argv[4], 0, 10);
  uint64_t count = strtoull(argv[5], 0, 10);
  uint32_t torrents = (uint32_t)strtoul(argv[6], 0, 10);
  int nsockets = atoi(argv[7]);
  int window = atoi(argv[8]);
  double seconds = atof(argv[9]);
  if (nsockets < 1 || nsockets > MAX_SOCKETS || window < 1 || window > MAX_WINDOW || torrents < 1 || count < 1) {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }

  struct sockaddr_in target = { 0 };
  target.sin_family = AF_INET;
  target.sin_port = htons(port);
  inet_pton(AF_INET, host, &target.sin_addr);

  int fds[MAX_SOCKETS];
  uint8_t conns[MAX_SOCKETS][8];
  int outstanding[MAX_SOCKETS];
  for (int s = 0; s < nsockets; s++) {
    fds[s] = socket(AF_INET, SOCK_DGRAM, 0);
    int size = 4 << 20;
    setsockopt(fds[s], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fds[s], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    if (connect(fds[s], (struct sockaddr *)&target, sizeof target) != 0 || connect_tracker(fds[s], conns[s]) != 0) {
      fprintf(stderr, "cannot connect to the tracker at %s:%d\n", host, port);
      return 1;
    }
    outstanding[s] = 0;
  }

  static uint8_t out[MAX_WINDOW][PACKET];
  static uint8_t in[MAX_WINDOW][2048];
  struct mmsghdr outmsg[MAX_WINDOW], inmsg[MAX_WINDOW];
  struct iovec outiov[MAX_WINDOW], iniov[MAX_WINDOW];
  for (int i = 0; i < MAX_WINDOW; i++) {
    memset(&outmsg[i], 0, sizeof outmsg[i]);
    memset(&inmsg[i], 0, sizeof inmsg[i]);
    outiov[i].iov_base = out[i];
    outiov[i].iov_len = PACKET;
    outmsg[i].msg_hdr.msg_iov = &outiov[i];
    outmsg[i].msg_hdr.msg_iovlen = 1;
    iniov[i].iov_base = in[i];
    iniov[i].iov_len = sizeof in[i];
    inmsg[i].msg_hdr.msg_iov = &iniov[i];
    inmsg[i].msg_hdr.msg_iovlen = 1;
  }

  /* Rate runs keep the tracker busy through short pauses; fill runs wait longer so that a
     paused tracker is not flooded past its socket buffer (every fill announce must land). */
  int patience_ms = fill ? 200 : 10;
  uint64_t sent = 0, replies = 0, errors = 0, lost = 0, next = 0;
  uint32_t tid = 1;
  struct pollfd pfds[MAX_SOCKETS];
  double start = now_seconds();
  double deadline = start + seconds;
  for (;;) {
    double t = now_seconds();
    int sending = fill ? next < count : t < deadline;
    int busy = 0;
    for (int s = 0; s < nsockets; s++) {
      int n = 0;
      while (sending && outstanding[s] + n < window && (!fill || next < count)) {
        build_announce(out[n], conns[s], tid++, first + (next % count), torrents, fill);
        next++;
        n++;
      }
      if (n > 0) {
        int done = sendmmsg(fds[s], outmsg, n, 0);
        if (done < 0) done = 0;
        next -= n - done; /* not sent: those peers go out in a later batch */
        sent += done;
        outstanding[s] += done;
      }
      busy += outstanding[s];
      pfds[s].fd = fds[s];
      pfds[s].events = POLLIN;
      pfds[s].revents = 0;
    }
    if (!sending && busy == 0) break;
    int ready = poll(pfds, nsockets, patience_ms);
    if (ready == 0) {
      /* Nothing for a while: count what is in flight as late and carry on (or stop). */
      for (int s = 0; s < nsockets; s++) {
        lost += outstanding[s];
        outstanding[s] = 0;
      }
      if (!sending) break;
      continue;
    }
    for (int s = 0; s < nsockets; s++) {
      if (!(pfds[s].revents & POLLIN)) continue;
      int n = recvmmsg(fds[s], inmsg, window, MSG_DONTWAIT, 0);
      for (int i = 0; i < n; i++) {
        if (inmsg[i].msg_len >= 8 && get32(in[i]) == 1) replies++;
        else errors++;
      }
      if (n > 0) outstanding[s] -= n < outstanding[s] ? n : outstanding[s];
    }
  }
  double elapsed = now_seconds() - start;
  printf("{\"sent\":%llu,\"replies\":%llu,\"errors\":%llu,\"lost\":%llu,\"seconds\":%.3f,\"rate\":%.0f}\n",
         (unsigned long long)sent, (unsigned long long)replies, (unsigned long long)errors, (unsigned long long)lost,
         elapsed, replies / elapsed);
  return 0;
}
