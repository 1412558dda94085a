/* Copyright 2026 the xenpv authors. MIT license.
 *
 * The guest side of the xenstore guest-rules probe, built static on the host
 * and put in the e2e guests' initramfs with the script
 * (tests/xenstore/guest_rules.xsprobe, at /etc/xpv-xsprobe):
 *
 *   xsprobe <script> <n>   runs the n-th [guest] section (from 1) of the
 *                          script through /dev/xen/xenbus, as the guest, and
 *                          prints "XSPROBE-BEGIN <n>", a "<line> -> <result>"
 *                          line for each operation, "XSPROBE-END <n>".
 *
 * It does what tests/xenstore/_guest_probe.ts's runSection() does against
 * our server, line for line (the same requests, the same result forms), so
 * the two outputs compare; $G is the guest's domid (read from "domid"). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum {
  XS_DIRECTORY = 1, XS_READ = 2, XS_GET_PERMS = 3, XS_WATCH = 4, XS_UNWATCH = 5,
  XS_TRANSACTION_START = 6, XS_TRANSACTION_END = 7, XS_GET_DOMAIN_PATH = 10,
  XS_WRITE = 11, XS_MKDIR = 12, XS_RM = 13, XS_SET_PERMS = 14, XS_WATCH_EVENT = 15,
  XS_ERROR = 16, XS_IS_DOMAIN_INTRODUCED = 17,
};

struct header { uint32_t type, req_id, tx_id, len; };

#define MAX_PAYLOAD 4096
#define EVENTS_WAIT_MS 500
#define LONG_VALUE 40

static int fd;
static uint32_t req_id = 1;
static char inbuf[65536];
static size_t inlen;
static char events[16384];
static size_t events_len;
static int nevents;

struct reply { uint32_t type; size_t len; char payload[MAX_PAYLOAD + 1]; };

/* One whole message from the device (what a read returned may hold more). */
static int next_message(struct reply *r, int timeout_ms) {
  for (;;) {
    if (inlen >= sizeof(struct header)) {
      struct header h;
      memcpy(&h, inbuf, sizeof h);
      if (h.len > MAX_PAYLOAD) { fprintf(stderr, "xsprobe: bad length %u\n", h.len); exit(1); }
      if (inlen >= sizeof h + h.len) {
        r->type = h.type;
        r->len = h.len;
        memcpy(r->payload, inbuf + sizeof h, h.len);
        r->payload[h.len] = 0;
        inlen -= sizeof h + h.len;
        memmove(inbuf, inbuf + sizeof h + h.len, inlen);
        return 1;
      }
    }
    struct pollfd p = {fd, POLLIN, 0};
    int n = poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    ssize_t got = read(fd, inbuf + inlen, sizeof inbuf - inlen);
    if (got <= 0) { perror("xsprobe: read /dev/xen/xenbus"); exit(1); }
    inlen += (size_t)got;
  }
}

/* Queues a watch event as "path token". */
static void queue_event(const struct reply *r) {
  const char *path = r->payload;
  const char *token = path + strlen(path) + 1;
  if ((size_t)(token - r->payload) > r->len) token = "";
  int n = snprintf(events + events_len, sizeof events - events_len, "%s%s %s",
                   nevents ? "; " : "", path, token);
  if (n > 0 && events_len + (size_t)n < sizeof events) events_len += (size_t)n;
  nevents++;
}

/* Sends a request (parts joined by NUL; with nul_end, a NUL after the last) and waits for its reply. */
static void request(uint32_t type, uint32_t tx, char **parts, int nparts, int nul_end, struct reply *r) {
  static char msg[sizeof(struct header) + MAX_PAYLOAD];
  size_t len = 0;
  for (int i = 0; i < nparts; i++) {
    size_t l = strlen(parts[i]);
    memcpy(msg + sizeof(struct header) + len, parts[i], l);
    len += l;
    if (i < nparts - 1 || nul_end) msg[sizeof(struct header) + len++] = 0;
  }
  struct header h = {type, req_id++, tx, (uint32_t)len};
  memcpy(msg, &h, sizeof h);
  if (write(fd, msg, sizeof h + len) != (ssize_t)(sizeof h + len)) {
    perror("xsprobe: write /dev/xen/xenbus");
    exit(1);
  }
  for (;;) {
    if (!next_message(r, -1)) { fprintf(stderr, "xsprobe: no reply\n"); exit(1); }
    if (r->type == XS_WATCH_EVENT) queue_event(r);
    else return;
  }
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The result of a reply, as _guest_probe.ts's result() prints it. */
static void print_result(const char *op, uint32_t want, const struct reply *r) {
  if (r->type == XS_ERROR) { printf("ERR %s\n", r->payload); return; }
  if (r->type != want) { printf("?type%u %s\n", r->type, r->payload); return; }
  if (!strcmp(op, "read")) {
    if (r->len > LONG_VALUE) printf("OK <%zu bytes>\n", r->len);
    else printf("OK %.*s\n", (int)r->len, r->payload);
  } else if (!strcmp(op, "dir") || !strcmp(op, "getperms")) {
    char *items[1024];
    int n = 0;
    for (size_t i = 0; i < r->len && n < 1024; i += strlen(r->payload + i) + 1) {
      if (r->payload[i]) items[n++] = (char *)r->payload + i;
    }
    if (!strcmp(op, "dir")) qsort(items, (size_t)n, sizeof *items, cmp);
    printf("OK ");
    if (n == 0) printf("-");
    for (int i = 0; i < n; i++) printf("%s%s", i ? "," : "", items[i]);
    printf("\n");
  } else if (!strcmp(op, "getdomainpath") || !strcmp(op, "introduced")) {
    printf("OK %s\n", r->payload);
  } else {
    printf("OK\n");
  }
}

#define MAX_TX 64
static char tx_names[MAX_TX][32];
static uint32_t tx_ids[MAX_TX];
static int tx_used[MAX_TX];

static int tx_find(const char *name) {
  for (int i = 0; i < MAX_TX; i++) if (tx_used[i] && !strcmp(tx_names[i], name)) return i;
  return -1;
}

/* A value as the script writes it: c*N is c N times. */
static char *value(const char *text) {
  static char buf[MAX_PAYLOAD + 1];
  char c;
  int n, used;
  if (sscanf(text, "%c*%d%n", &c, &n, &used) == 2 && text[used] == 0 && n >= 0 && n <= MAX_PAYLOAD) {
    memset(buf, c, (size_t)n);
    buf[n] = 0;
    return buf;
  }
  return (char *)text;
}

static void step(char *line, const char *guest) {
  /* $G replaced, split on spaces */
  char expanded[1024];
  size_t o = 0;
  for (const char *p = line; *p && o < sizeof expanded - 16; p++) {
    if (p[0] == '$' && p[1] == 'G') { o += (size_t)sprintf(expanded + o, "%s", guest); p++; }
    else expanded[o++] = *p;
  }
  expanded[o] = 0;
  char *words[64];
  int n = 0;
  for (char *w = strtok(expanded, " \t"); w && n < 64; w = strtok(0, " \t")) words[n++] = w;
  uint32_t tx = 0;
  char **w = words;
  size_t first = strlen(w[0]);
  if (w[0][first - 1] == ':') {
    w[0][first - 1] = 0;
    int t = tx_find(w[0]);
    if (t < 0) { printf("ERR no such transaction\n"); return; }
    tx = tx_ids[t];
    w++;
    n--;
  }
  const char *op = w[0];
  char **args = w + 1;
  int nargs = n - 1;
  static struct reply r;
  if (!strcmp(op, "read")) { request(XS_READ, tx, args, 1, 1, &r); print_result(op, XS_READ, &r); }
  else if (!strcmp(op, "write")) {
    char *parts[2] = {args[0], value(args[1])};
    request(XS_WRITE, tx, parts, 2, 0, &r);
    print_result(op, XS_WRITE, &r);
  }
  else if (!strcmp(op, "mkdir")) { request(XS_MKDIR, tx, args, 1, 1, &r); print_result(op, XS_MKDIR, &r); }
  else if (!strcmp(op, "rm")) { request(XS_RM, tx, args, 1, 1, &r); print_result(op, XS_RM, &r); }
  else if (!strcmp(op, "dir")) { request(XS_DIRECTORY, tx, args, 1, 1, &r); print_result(op, XS_DIRECTORY, &r); }
  else if (!strcmp(op, "getperms")) { request(XS_GET_PERMS, tx, args, 1, 1, &r); print_result(op, XS_GET_PERMS, &r); }
  else if (!strcmp(op, "setperms")) { request(XS_SET_PERMS, tx, args, nargs, 1, &r); print_result(op, XS_SET_PERMS, &r); }
  else if (!strcmp(op, "watch")) { request(XS_WATCH, tx, args, 2, 1, &r); print_result(op, XS_WATCH, &r); }
  else if (!strcmp(op, "unwatch")) { request(XS_UNWATCH, tx, args, 2, 1, &r); print_result(op, XS_UNWATCH, &r); }
  else if (!strcmp(op, "getdomainpath")) { request(XS_GET_DOMAIN_PATH, tx, args, 1, 1, &r); print_result(op, XS_GET_DOMAIN_PATH, &r); }
  else if (!strcmp(op, "introduced")) { request(XS_IS_DOMAIN_INTRODUCED, tx, args, 1, 1, &r); print_result(op, XS_IS_DOMAIN_INTRODUCED, &r); }
  else if (!strcmp(op, "events")) {
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
      clock_gettime(CLOCK_MONOTONIC, &now);
      long left = EVENTS_WAIT_MS - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
      if (left <= 0 || !next_message(&r, (int)left)) break;
      if (r.type == XS_WATCH_EVENT) queue_event(&r);
      else printf("?unexpected reply type %u; ", r.type);
    }
    printf("%s\n", nevents ? events : "none");
    events_len = 0;
    events[0] = 0;
    nevents = 0;
  }
  else if (!strcmp(op, "tstart")) {
    char *empty[1] = {""};
    request(XS_TRANSACTION_START, tx, empty, 1, 1, &r);
    if (r.type == XS_TRANSACTION_START) {
      for (int i = 0; i < MAX_TX; i++) {
        if (!tx_used[i]) {
          tx_used[i] = 1;
          snprintf(tx_names[i], sizeof tx_names[i], "%s", args[0]);
          tx_ids[i] = (uint32_t)strtoul(r.payload, 0, 10);
          break;
        }
      }
    }
    print_result(op, XS_TRANSACTION_START, &r);
  }
  else if (!strcmp(op, "tcommit") || !strcmp(op, "tabort")) {
    int t = tx_find(args[0]);
    if (t < 0) { printf("ERR no such transaction\n"); return; }
    tx_used[t] = 0;
    char *how[1] = {(char *)(strcmp(op, "tcommit") ? "F" : "T")};
    request(XS_TRANSACTION_END, tx_ids[t], how, 1, 1, &r);
    print_result(op, XS_TRANSACTION_END, &r);
  }
  else if (!strcmp(op, "fill") || !strcmp(op, "filltree")) {
    int count = atoi(args[1]);
    char path[512], x[] = "x";
    for (int i = 0; i < count; i++) {
      if (!strcmp(op, "fill")) snprintf(path, sizeof path, "%s/%d", args[0], i);
      else snprintf(path, sizeof path, "%s/%d/%d", args[0], i / 100, i % 100);
      char *parts[2] = {path, x};
      request(XS_WRITE, tx, parts, 2, 0, &r);
      if (r.type == XS_ERROR) { printf("ERR %s after %d\n", r.payload, i); return; }
    }
    printf("OK %d\n", count);
  }
  else { printf("?unknown operation\n"); }
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: xsprobe <script> <n>\n"); return 2; }
  int want = atoi(argv[2]);
  FILE *f = fopen(argv[1], "r");
  if (!f) { perror(argv[1]); return 1; }
  const char *sock = getenv("XSPROBE_SOCKET"); /* a unix socket instead: the format checked on the host */
  if (sock) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror(sock); return 1; }
  } else {
    fd = open("/dev/xen/xenbus", O_RDWR);
    if (fd < 0) { perror("/dev/xen/xenbus"); return 1; }
  }
  setvbuf(stdout, 0, _IOLBF, 0);
  static struct reply r;
  char *domid[1] = {"domid"};
  request(XS_READ, 0, domid, 1, 1, &r);
  if (r.type != XS_READ) { fprintf(stderr, "xsprobe: cannot read domid: %s\n", r.payload); return 1; }
  char guest[16];
  snprintf(guest, sizeof guest, "%ld", strtol(r.payload, 0, 10));
  printf("XSPROBE-BEGIN %d\n", want);
  char line[1024];
  int section = 0, in = 0;
  while (fgets(line, sizeof line, f)) {
    char *s = line;
    while (*s == ' ' || *s == '\t') s++;
    size_t l = strlen(s);
    while (l && (s[l - 1] == '\n' || s[l - 1] == '\r' || s[l - 1] == ' ')) s[--l] = 0;
    if (!l || s[0] == '#') continue;
    if (!strcmp(s, "[guest]")) { in = ++section == want; continue; }
    if (!strcmp(s, "[dom0]")) { in = 0; continue; }
    if (!in) continue;
    printf("%s -> ", s);
    step(s, guest);
  }
  printf("XSPROBE-END %d\n", want);
  return 0;
}
