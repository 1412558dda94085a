/* Copyright 2026 the xenpv authors. MIT license.
 * libxenstore reference client for bench/xenstore_compare.ts: N sequential
 * reads of one node through xs_read, timed with CLOCK_MONOTONIC. Prints
 * "<ops> <seconds>". Reaches the server through XENSTORED_PATH. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <xenstore.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: xs_bench PATH COUNT\n");
        return 2;
    }
    const char *path = argv[1];
    long count = atol(argv[2]);
    struct xs_handle *h = xs_open(0);
    if (!h) {
        perror("xs_open");
        return 1;
    }
    unsigned int len;
    /* warm up */
    for (int i = 0; i < 100; i++) free(xs_read(h, XBT_NULL, path, &len));
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < count; i++) {
        void *v = xs_read(h, XBT_NULL, path, &len);
        if (!v) {
            perror("xs_read");
            return 1;
        }
        free(v);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double secs = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("%ld %.6f\n", count, secs);
    xs_close(h);
    return 0;
}
