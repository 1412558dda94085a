/* Copyright 2026 the xenpv authors. MIT license.
 * The C side of bench/unix_floor.ts: round trips of one framed message (a
 * 16-byte header whose last u32 is the payload length, as xenstore's, then
 * the payload) over a unix stream socket, with blocking read()/write().
 *   unix_echo server PATH        echo every message back, one connection at a time
 *   unix_echo client PATH COUNT N  COUNT round trips of 16+N bytes; prints
 *                                  "<ops> <seconds>" (CLOCK_MONOTONIC) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int read_full(int fd, unsigned char *buf, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n <= 0) return -1;
        got += (size_t)n;
    }
    return 0;
}

static int write_full(int fd, const unsigned char *buf, size_t len) {
    size_t put = 0;
    while (put < len) {
        ssize_t n = write(fd, buf + put, len - put);
        if (n <= 0) return -1;
        put += (size_t)n;
    }
    return 0;
}

/* One message: header, then its payload (length: the header's last u32). */
static ssize_t read_message(int fd, unsigned char *buf, size_t cap) {
    if (read_full(fd, buf, 16) < 0) return -1;
    uint32_t len;
    memcpy(&len, buf + 12, 4);
    if (16 + (size_t)len > cap) return -1;
    if (read_full(fd, buf + 16, len) < 0) return -1;
    return 16 + (ssize_t)len;
}

static struct sockaddr_un address(const char *path) {
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    strncpy(a.sun_path, path, sizeof a.sun_path - 1);
    return a;
}

int main(int argc, char **argv) {
    static unsigned char buf[16 + 4096];
    if (argc == 3 && strcmp(argv[1], "server") == 0) {
        struct sockaddr_un a = address(argv[2]);
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        unlink(argv[2]);
        if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 8) < 0) {
            perror("listen");
            return 1;
        }
        printf("ready\n");
        fflush(stdout);
        for (;;) {
            int c = accept(s, NULL, NULL);
            if (c < 0) continue;
            ssize_t n;
            while ((n = read_message(c, buf, sizeof buf)) > 0) {
                if (write_full(c, buf, (size_t)n) < 0) break;
            }
            close(c);
        }
    }
    if (argc == 5 && strcmp(argv[1], "client") == 0) {
        struct sockaddr_un a = address(argv[2]);
        long count = atol(argv[3]);
        uint32_t len = (uint32_t)atol(argv[4]);
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
            perror("connect");
            return 1;
        }
        memset(buf, 'x', sizeof buf);
        memcpy(buf + 12, &len, 4);
        struct timespec t0, t1;
        for (long i = -100; i < count; i++) { /* 100 warm-up round trips */
            if (i == 0) clock_gettime(CLOCK_MONOTONIC, &t0);
            if (write_full(s, buf, 16 + len) < 0 || read_message(s, buf, sizeof buf) < 0) {
                perror("round trip");
                return 1;
            }
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("%ld %.6f\n", count, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
        return 0;
    }
    fprintf(stderr, "usage: unix_echo server PATH | unix_echo client PATH COUNT N\n");
    return 2;
}
